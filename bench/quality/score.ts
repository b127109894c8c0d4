/**
 * Scoring for the quality bench: the policy × budget grid, each answer against the full-prefill answer
 * to the same target prompt (greedy-token prefix agreement, identical continuation, ROUGE-L), and the
 * per-(workload, setting) aggregates the tables, the goals and the chart read.
 */
import {recomputePolicies, type RecomputePolicy} from "../../shared/settings.js";
import {rougeL} from "../share/metrics.js";
import {mean} from "../share/report.js";
import type {Answer} from "./client.js";

export const BUDGETS = [0.05, 0.1, 0.15, 0.2, 0.3] as const;
/** The budget the headline goal is judged at (the settings' default). */
export const GOAL_BUDGET = 0.15;

/** One cell of the grid: a policy at a budget ("none" once, at budget 0: it recomputes nothing). */
export interface Setting {
    key: string;
    policy: RecomputePolicy;
    budget: number;
}

/**
 * The measurement's ceiling, asked of every target beside the grid: `boundary` at budget 1 recomputes every
 * kept token, so nothing of the donor's KV but an exact common prefix is used, and what still differs from
 * full prefill is arithmetic (the recomputed tokens' batches and KV cells are not a prefill's; on quantized
 * weights that can flip a near-tie). A policy is not expected to agree more (a near-tie may still flip its way).
 */
export const CEILING_SETTING: Setting = {key: "ceiling", policy: "boundary", budget: 1};

export const settingKey = (policy: RecomputePolicy, budget: number): string => (policy === "none" ? "none" : `${policy}@${budget}`);

let onlyKeys: ReadonlySet<string> | undefined;

/**
 * Limits the grid to these setting keys (`none`, `dhd-decode@0.15`, …) for a quicker run; throws on a key the
 * full grid lacks.
 */
export function limitSettings(keys: readonly string[]): void {
    const known = new Set(fullGrid().map((s) => s.key));
    const unknown = keys.filter((k) => !known.has(k));
    if (unknown.length > 0) throw new Error(`unknown setting ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
    onlyKeys = new Set(keys);
}

function fullGrid(): Setting[] {
    const grid: Setting[] = [{key: "none", policy: "none", budget: 0}];
    for (const policy of recomputePolicies) if (policy !== "none") for (const budget of BUDGETS) grid.push({key: settingKey(policy, budget), policy, budget});
    return grid;
}

/** "none" first, then every other policy at every budget, in the settings' policy order (or the keys {@link limitSettings} kept). */
export function settingsGrid(): Setting[] {
    const only = onlyKeys;
    return only == null ? fullGrid() : fullGrid().filter((s) => only.has(s.key));
}

/** The probing policies: where no probe can run they fall back to `boundary` and report so. */
export const probingPolicies: readonly RecomputePolicy[] = ["deviation", "dhd", "dhd-decode", "dhd-guard"];

/** One answer scored against the full-prefill answer to the same prompt. */
export interface TargetScore {
    /** Leading identical output tokens ÷ the longer output's tokens (1 for two empty outputs). */
    prefixAgreement: number;
    identical: boolean;
    rougeL: number;
}

export function scoreAgainst(answer: Answer, reference: Answer): TargetScore {
    const a = answer.tokens;
    const r = reference.tokens;
    const longer = Math.max(a.length, r.length);
    let same = 0;
    while (same < longer && a[same] === r[same]) same++;
    return {prefixAgreement: longer === 0 ? 1 : same / longer, identical: answer.text === reference.text, rougeL: rougeL(answer.text, reference.text)};
}

/** One (workload, setting): means over its targets. */
export interface Cell {
    key: string;
    policy: RecomputePolicy;
    budget: number;
    targets: number;
    prefixAgreement: number;
    /** Each target's prefix agreement, in the workload's target order (per workload only: a pooled cell has none). */
    agreements?: number[];
    identicalShare: number;
    rougeL: number;
    /** Σ reused ÷ Σ prompt tokens over the targets (the hit records' counts). */
    reuse: number;
    recomputedMean: number;
    /** Targets served from a donor (`x_kvshare.mode` "semantic"). */
    semantic: number;
    /** `x_kvshare.recompute_policy` as reported, counted ("(absent)" when the record has none). */
    reported: Record<string, number>;
    /** Semantic answers of a probing policy that report `boundary`: the probe could not run. */
    fellBackToBoundary: number;
    /** Semantic answers that report a policy other than the one asked for (fall-backs excluded). */
    mismatched: number;
    probeMsMean: number;
    decodeRecomputeTokensMean: number;
    decodeRecomputeMsMean: number;
    /** Semantic answers whose guard recomputed the reused KV at once before a possible near tie, and those before the first token. */
    flushed: number;
    flushedFirst: number;
    /** Σ (reused − recomputed while decoding) ÷ Σ prompt tokens: the prompt's KV no stage computed for the request. */
    neverComputed: number;
    ttftMeanMs: number;
    /** Answers not served from a donor, by the record's note. */
    notes: Record<string, number>;
}

export function aggregate(setting: Setting, answers: readonly Answer[], scores: readonly TargetScore[]): Cell {
    const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0);
    const reported: Record<string, number> = {};
    const notes: Record<string, number> = {};
    let fellBack = 0;
    let mismatched = 0;
    for (const a of answers) {
        const got = a.kv.recompute_policy ?? "(absent)";
        reported[got] = (reported[got] ?? 0) + 1;
        if (a.kv.mode !== "semantic") {
            const note = a.kv.note ?? "(no note)";
            notes[note] = (notes[note] ?? 0) + 1;
        } else if (probingPolicies.includes(setting.policy) && got === "boundary") fellBack++;
        else if (got !== setting.policy) mismatched++;
    }
    const semantic = answers.filter((a) => a.kv.mode === "semantic");
    return {
        key: setting.key,
        policy: setting.policy,
        budget: setting.budget,
        targets: answers.length,
        prefixAgreement: mean(scores.map((s) => s.prefixAgreement)),
        agreements: scores.map((s) => s.prefixAgreement),
        identicalShare: mean(scores.map((s) => (s.identical ? 1 : 0))),
        rougeL: mean(scores.map((s) => s.rougeL)),
        reuse: sum(answers.map((a) => a.kv.reused_tokens)) / Math.max(1, sum(answers.map((a) => a.kv.prompt_tokens))),
        recomputedMean: mean(answers.map((a) => a.kv.recomputed_tokens)),
        semantic: semantic.length,
        reported,
        fellBackToBoundary: fellBack,
        mismatched,
        probeMsMean: mean(semantic.filter((a) => a.kv.stages?.probe_ms != null).map((a) => a.kv.stages?.probe_ms ?? 0)),
        decodeRecomputeTokensMean: mean(semantic.filter((a) => a.kv.decode_recompute != null).map((a) => a.kv.decode_recompute?.tokens ?? 0)),
        decodeRecomputeMsMean: mean(semantic.filter((a) => a.kv.decode_recompute != null).map((a) => a.kv.decode_recompute?.ms ?? 0)),
        flushed: semantic.filter((a) => a.kv.decode_recompute?.flushed_at != null).length,
        flushedFirst: semantic.filter((a) => a.kv.decode_recompute?.flushed_at === 0).length,
        neverComputed:
            sum(answers.map((a) => a.kv.reused_tokens - (a.kv.decode_recompute?.tokens ?? 0))) / Math.max(1, sum(answers.map((a) => a.kv.prompt_tokens))),
        ttftMeanMs: mean(answers.map((a) => a.ttftMs)),
        notes
    };
}

/** A workload's cells, in grid order. */
export interface WorkloadCells {
    name: string;
    cells: Cell[];
    /** Every kept token recomputed through the edit path: what arithmetic alone leaves of full prefill (see {@link CEILING_SETTING}). */
    ceiling?: Cell;
}

/** Each workload weighs the same: the mean of the per-workload values, per setting. */
export function pooled(workloads: readonly WorkloadCells[]): WorkloadCells {
    const cells = settingsGrid().map((setting) =>
        poolCells(
            setting,
            workloads.map((w) => w.cells.find((c) => c.key === setting.key))
        )
    );
    const ceilings = workloads.map((w) => w.ceiling);
    return {name: "all (workload mean)", cells, ...(ceilings.some((c) => c != null) ? {ceiling: poolCells(CEILING_SETTING, ceilings)} : {})};
}

/** One setting's cells of several workloads as one: means of the rates, sums of the counts. */
function poolCells(setting: Setting, cells: ReadonlyArray<Cell | undefined>): Cell {
    const of = cells.filter((c): c is Cell => c != null);
    const m = (f: (c: Cell) => number): number => mean(of.map(f));
    const total = (f: (c: Cell) => number): number => of.reduce((x, c) => x + f(c), 0);
    const merge = (f: (c: Cell) => Record<string, number>): Record<string, number> => {
        const out: Record<string, number> = {};
        for (const c of of) for (const [k, v] of Object.entries(f(c))) out[k] = (out[k] ?? 0) + v;
        return out;
    };
    return {
        key: setting.key,
        policy: setting.policy,
        budget: setting.budget,
        targets: total((c) => c.targets),
        prefixAgreement: m((c) => c.prefixAgreement),
        identicalShare: m((c) => c.identicalShare),
        rougeL: m((c) => c.rougeL),
        reuse: m((c) => c.reuse),
        recomputedMean: m((c) => c.recomputedMean),
        semantic: total((c) => c.semantic),
        reported: merge((c) => c.reported),
        fellBackToBoundary: total((c) => c.fellBackToBoundary),
        mismatched: total((c) => c.mismatched),
        probeMsMean: m((c) => c.probeMsMean),
        decodeRecomputeTokensMean: m((c) => c.decodeRecomputeTokensMean),
        decodeRecomputeMsMean: m((c) => c.decodeRecomputeMsMean),
        flushed: total((c) => c.flushed),
        flushedFirst: total((c) => c.flushedFirst),
        neverComputed: m((c) => c.neverComputed),
        ttftMeanMs: m((c) => c.ttftMeanMs),
        notes: merge((c) => c.notes)
    };
}

export const cellOf = (w: WorkloadCells, policy: RecomputePolicy, budget: number): Cell | undefined =>
    w.cells.find((c) => c.key === settingKey(policy, budget));
