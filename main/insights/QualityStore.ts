import type Database from "better-sqlite3";
import type {QualityAgreement, QualitySummary} from "../../shared/admin.js";
import {byCountThenPolicy, isRecomputePolicy, type RecomputePolicy} from "../../shared/settings.js";
import {alwaysEligible} from "../sharing/engine/candidates.js";
import {budgetLadder, nearestBudgetStep} from "../sharing/policy/index.js";

/** One quality check of a logged request. */
export interface QualityCheck {
    requestId: number;
    at: number;
    scope: string;
    policy: string;
    /** The recompute policy the check's shared-KV answer ran under. */
    recomputePolicy?: RecomputePolicy;
    budget: number;
    similarity: number | null;
    checkedTokens: number;
    matchedTokens: number;
    rougeL: number;
    fullMs: number;
    sharedMs: number;
    /**
     * A probe: the same request decoded at another budget than it was served with, for the what-if
     * budget curve only (not in the overall figures, which describe what was served).
     */
    probe?: boolean;
}

/** Similarity bands the dashboard reports agreement in; exact hits and marked prefixes fall in the last. */
export const similarityBands: ReadonlyArray<{label: string; min: number; max: number}> = [
    {label: "< 0.5", min: 0, max: 0.5},
    {label: "0.5–0.7", min: 0.5, max: 0.7},
    {label: "0.7–0.85", min: 0.7, max: 0.85},
    {label: "0.85–1", min: 0.85, max: 1},
    {label: "exact / marked", min: 1, max: alwaysEligible}
];

interface Acc {
    checks: number;
    checkedTokens: number;
    matchedTokens: number;
    rougeSum: number;
}

const empty = (): Acc => ({checks: 0, checkedTokens: 0, matchedTokens: 0, rougeSum: 0});

function finish(acc: Acc): QualityAgreement {
    return {
        checks: acc.checks,
        checkedTokens: acc.checkedTokens,
        matchedTokens: acc.matchedTokens,
        agreement: acc.checkedTokens === 0 ? (acc.checks === 0 ? null : 1) : acc.matchedTokens / acc.checkedTokens,
        rougeL: acc.checks === 0 ? null : acc.rougeSum / acc.checks
    };
}

function bandOf(similarity: number | null): number {
    const s = similarity ?? 0;
    if (s >= 1) return similarityBands.length - 1;
    const index = similarityBands.findIndex((band) => s >= band.min && s < band.max);
    return index < 0 ? 0 : index;
}

/**
 * The quality monitor's results in app.db (`quality_checks`): written one per check, read as
 * agreement overall, per similarity band and per recompute budget. Holds no text: a check's answers
 * are compared and forgotten.
 */
export class QualityStore {
    public constructor(private readonly db: () => Database.Database | undefined) {}

    public record(check: QualityCheck): void {
        this.database()
            ?.prepare(
                `INSERT INTO quality_checks (request_id, at, scope, policy, recompute_policy, budget, similarity, checked_tokens, matched_tokens, rouge_l,
            full_ms, shared_ms, probe) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
            )
            .run(
                check.requestId,
                check.at,
                check.scope,
                check.policy,
                check.recomputePolicy ?? null,
                check.budget,
                check.similarity,
                check.checkedTokens,
                check.matchedTokens,
                check.rougeL,
                check.fullMs,
                check.sharedMs,
                check.probe === true ? 1 : 0
            );
    }

    /**
     * Checks since `since` (of `scope`, and run under `recomputePolicy`, when given), summed overall, per
     * band and per recompute policy (served budgets only), and per budget step (probes included).
     */
    public summary(since: number, scope: string | undefined, extra: {share: number; pending: number}, recomputePolicy?: RecomputePolicy): QualitySummary {
        const rows = this.rows<[number, number, number | null, number, number, number, number, string | null]>(
            "at, budget, similarity, checked_tokens, matched_tokens, rouge_l, probe, recompute_policy",
            {since, scope, recomputePolicy}
        );
        const total = empty();
        const bands = similarityBands.map(empty);
        const budgets = budgetLadder.map(empty);
        const policies = new Map<RecomputePolicy, Acc>();
        let lastCheckAt: number | null = null;
        for (const [at, budget, similarity, checked, matched, rouge, probe, policy] of rows) {
            const step = budgets[budgetLadder.indexOf(nearestBudgetStep(budget))]!;
            const served = [total, bands[bandOf(similarity)]!, step];
            if (isRecomputePolicy(policy)) {
                if (!policies.has(policy)) policies.set(policy, empty());
                served.push(policies.get(policy)!);
            }
            for (const acc of probe === 1 ? [step] : served) {
                acc.checks++;
                acc.checkedTokens += checked;
                acc.matchedTokens += matched;
                acc.rougeSum += rouge;
            }
            lastCheckAt = Math.max(lastCheckAt ?? 0, at);
        }
        return {
            ...finish(total),
            since,
            ...extra,
            lastCheckAt,
            bands: similarityBands.map((band, i) => ({...band, ...finish(bands[i]!)})),
            budgets: budgetLadder.map((budget, i) => ({budget, ...finish(budgets[i]!)})),
            policies: [...policies].map(([policy, acc]) => ({policy, ...finish(acc)})).sort(byCountThenPolicy((p) => p.checks))
        };
    }

    /**
     * Agreement of the served (not probe) checks whose donor similarity is at least each of `steps`
     * thresholds 0, 1/(steps-1), …, 1: the what-if threshold curve's quality line.
     */
    public atOrAbove(since: number, scope: string | undefined, steps: number): Array<number | null> {
        const rows = this.rows<[number | null, number, number]>("similarity, checked_tokens, matched_tokens", {since, scope, servedOnly: true});
        const checked = new Float64Array(steps);
        const matched = new Float64Array(steps);
        for (const [similarity, c, m] of rows) {
            const step = Math.min(steps - 1, Math.floor((similarity ?? 0) * (steps - 1) + 1e-3));
            checked[step]! += c;
            matched[step]! += m;
        }
        // From the top down: a threshold keeps every check at or above it.
        const out = new Array<number | null>(steps).fill(null);
        let c = 0,
            m = 0;
        for (let i = steps - 1; i >= 0; i--) {
            c += checked[i]!;
            m += matched[i]!;
            out[i] = c === 0 ? null : m / c;
        }
        return out;
    }

    /**
     * Checks per budget step since `since` (the what-if budget curve's quality line), of `scope` and run
     * under `recomputePolicy` when given: a budget means different recompute under different policies.
     */
    public byBudget(since: number, scope?: string, recomputePolicy?: RecomputePolicy): Array<QualityAgreement & {budget: number}> {
        return this.summary(since, scope, {share: 0, pending: 0}, recomputePolicy).budgets;
    }

    /** `columns` of the checks since `since` that match the filters given, as arrays. */
    private rows<Row extends unknown[]>(
        columns: string,
        filter: {since: number; scope?: string | undefined; recomputePolicy?: RecomputePolicy | undefined; servedOnly?: boolean}
    ): Row[] {
        const db = this.database();
        if (db == null) return [];
        const where = ["at >= ?"];
        const params: unknown[] = [filter.since];
        if (filter.servedOnly === true) where.push("probe = 0");
        if (filter.scope != null) {
            where.push("scope = ?");
            params.push(filter.scope);
        }
        if (filter.recomputePolicy != null) {
            where.push("recompute_policy = ?");
            params.push(filter.recomputePolicy);
        }
        return db
            .prepare(`SELECT ${columns} FROM quality_checks WHERE ${where.join(" AND ")}`)
            .raw()
            .all(...params) as Row[];
    }

    private database(): Database.Database | undefined {
        try {
            return this.db();
        } catch {
            return undefined;
        }
    }
}
