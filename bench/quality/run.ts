/**
 * `npm run bench:quality` — how much of full prefill's output each recompute policy keeps, and at what
 * reuse, over the real HTTP API (/v1/completions, greedy, temperature 0).
 *
 * Quality part (stories260K or --model, 1 thread, parallel 1): per workload, a fresh KVShare server (cost gate off,
 * so every target that has a donor is served from it whatever the policy) is seeded with the workload's
 * donor prompts (stored; a huge minGainTokens meanwhile, so each donor holds its own full-prefill KV).
 * Each target is then asked once of a second server with sharing and prefix reuse off (the full-prefill
 * reference) and once per (policy, budget) of the KVShare server with
 * `x_kvshare: {recompute_policy, recompute_budget, store: false}` — store: false keeps the target's KV
 * out of the cache, so every policy meets the same donor; a short unrelated prompt before each keeps the
 * target's previous KV from being an exact prefix. Scored against the reference: greedy-token prefix
 * agreement, identical continuations, ROUGE-L; reuse, recomputed tokens, the policy the record reports,
 * probe_ms and decode_recompute from the hit record. Each target is asked once more with every kept token
 * recomputed (the ceiling: what arithmetic alone leaves of full prefill), shown beside the goals, not in them.
 * Timing part (dummy ~0.5 B llama, 2 threads; see timing.ts): TTFT per policy at budget 0.15 and TPOT
 * of dhd vs dhd-decode, side by side with a rotating order.
 *
 * Flags: --quick (story workloads only, 3 targets each, no timing; about a minute), --no-timing, --timing-only
 * (the timing part alone, nothing written), --settings KEY,KEY (only these cells of the grid, e.g.
 * `none,dhd-decode@0.15`), --model PATH (the quality part's model, default stories260K), --scale K (K times the
 * targets per workload, 1–4: narrower intervals for the gains; the quality part takes about K times as long).
 * Writes bench/results/quality-<timestamp>.json and .svg. Exits 0 whether or not the goals hold.
 */
import path from "node:path";
import {defaultSharingSettings, recomputePolicies} from "../../shared/settings.js";
import {SHARED_DIR} from "../share/data.js";
import {selfCheck} from "../share/metrics.js";
import {pairedGainSelfCheck} from "./pairedGain.js";
import {f3, median, ms1, pct, table} from "../share/report.js";
import {resultsStamp, writeResults} from "../results.js";
import type {BenchRequest, Workload} from "../share/workloads.js";
import {tradeoffChart} from "./chart.js";
import {launch, type Answer, type BenchClient, type HitRecord, type TokenMargin} from "./client.js";
import {checkGoals, honouredShare, type GoalResult} from "./goals.js";
import {
    aggregate,
    CEILING_SETTING,
    GOAL_BUDGET,
    pooled,
    probingPolicies,
    scoreAgainst,
    settingsGrid,
    type Cell,
    type Setting,
    type TargetScore,
    type WorkloadCells
} from "./score.js";
import {divergenceMargin, NEAR_TIE_NATS, summariseNearTies, type NearTieSummary} from "./nearTies.js";
import {timingPart, type TimingResult} from "./timing.js";
import {parseFlags} from "./flags.js";
import {FULL_QUALITY_SIZES, QUICK_QUALITY_SIZES, qualityWorkloads, scaledSizes} from "./workloads.js";

const MAX_TOKENS = 32;

const flags = parseFlags();
const QUICK = flags.quick;
const TIMING = !QUICK && !flags.noTiming;
/** Developer shortcut: only the timing part (its own tables; no goals, no files written). */
const TIMING_ONLY = flags.timingOnly;
/** `--model PATH`: another trained model for the quality part (default stories260K). */
const QUALITY_MODEL = path.resolve(flags.model ?? path.join(SHARED_DIR, "models", "stories260K.gguf"));
/** `--settings none,dhd-decode@0.15`: only these cells of the grid (goals whose cells were not measured say NOT CHECKED). */
const LIMITED = flags.settings != null;
/** `--scale K`: K times the targets per workload (1: the grid the README's figures come from). */
const SCALE = flags.scale;

/** One answer as kept in the JSON: no token ids, the hit record without per-position detail. */
interface StoredAnswer {
    text: string;
    completionTokens: number;
    outputTokens: number;
    ttftMs: number;
    kv: HitRecord;
    /** The reference's: each output token's top-two gap (see nearTies.ts). */
    margins?: TokenMargin[];
}

interface TargetResult {
    request: BenchRequest;
    reference: StoredAnswer;
    /** `divergenceMargin`: full prefill's top-two gap where this answer first differs from it. */
    answers: Record<string, StoredAnswer & TargetScore & {divergenceMargin?: number}>;
}

interface WorkloadResult extends WorkloadCells {
    description: string;
    donors: number;
    donorsStored: number;
    storeIgnored: number;
    targets: TargetResult[];
    /** The default policy at the goal budget, and `none`: where their misses part from full prefill. */
    nearTies: Record<string, NearTieSummary>;
}

const stored = (a: Answer): StoredAnswer => ({
    text: a.text,
    completionTokens: a.completionTokens,
    outputTokens: a.tokens.length,
    ttftMs: a.ttftMs,
    kv: a.kv,
    ...(a.margins == null ? {} : {margins: a.margins})
});

/** The settings whose misses are looked at for near ties: the default policy at the goal budget, and `none`. */
const nearTieKeys = (grid: readonly Setting[]): string[] =>
    grid.filter((g) => g.policy === "none" || (g.policy === defaultSharingSettings.recomputePolicy && g.budget === GOAL_BUDGET)).map((g) => g.key);

/** Seeds one workload's donors on a fresh KVShare server, then asks every target under every setting. */
async function runWorkload(workload: Workload, reference: BenchClient, warnings: string[], editing: {off?: string}): Promise<WorkloadResult> {
    const grid = settingsGrid();
    const client = await launch(QUALITY_MODEL, 1, {enabled: true, prefixReuse: true, costGate: false}, warnings);
    try {
        const off = client.kvEditingOff;
        if (off != null && editing.off == null) {
            editing.off = off;
            console.log(`WARNING: KV editing unavailable (${off}): no donor can be edited in, every setting is prefix reuse`);
        }
        const donors = workload.requests.filter((r) => r.role === "seed");
        await client.seeding(true);
        for (const donor of donors) await client.complete(donor.prompt, MAX_TOKENS);
        await client.seeding(false);
        const donorsStored = client.cacheEntries();
        const targets: TargetResult[] = [];
        // The ceiling is asked like a grid setting, but kept out of the grid's cells and goals.
        const asked = [...grid, CEILING_SETTING];
        const answers = new Map<string, {a: Answer[]; s: TargetScore[]}>(asked.map((g) => [g.key, {a: [], s: []}]));
        for (const request of workload.requests.filter((r) => r.role === "target")) {
            if (request.api !== "completions") throw new Error(`${request.id}: only text completions are benched here`);
            const ref = await reference.complete(request.prompt, MAX_TOKENS, undefined, {margins: true});
            const result: TargetResult = {request, reference: stored(ref), answers: {}};
            for (const setting of asked) {
                await client.flush();
                const a = await client.complete(request.prompt, MAX_TOKENS, {
                    recompute_policy: setting.policy,
                    recompute_budget: setting.budget,
                    store: false
                });
                const score = scoreAgainst(a, ref);
                answers.get(setting.key)?.a.push(a);
                answers.get(setting.key)?.s.push(score);
                const margin = divergenceMargin(a, ref);
                result.answers[setting.key] = {...stored(a), ...score, ...(margin == null ? {} : {divergenceMargin: margin})};
            }
            targets.push(result);
        }
        const cellOfSetting = (setting: Setting): Cell => {
            const got = answers.get(setting.key) ?? {a: [], s: []};
            return aggregate(setting, got.a, got.s);
        };
        const cells = grid.map(cellOfSetting);
        return {
            name: workload.name,
            description: workload.description,
            cells,
            donors: donors.length,
            donorsStored,
            storeIgnored: client.storeIgnored,
            ceiling: cellOfSetting(CEILING_SETTING),
            targets,
            nearTies: Object.fromEntries(nearTieKeys(grid).map((key) => [key, nearTiesOf(targets, key)]))
        };
    } finally {
        await client.close();
    }
}

/** A setting's misses over some targets, against their references' margins. */
function nearTiesOf(targets: readonly TargetResult[], key: string): NearTieSummary {
    const missed = targets.filter((t) => t.answers[key] != null && !t.answers[key].identical);
    return summariseNearTies(
        missed.map((t) => t.answers[key]?.divergenceMargin),
        targets.map((t) => t.reference.margins ?? [])
    );
}

/** Where the misses part from full prefill, per workload and pooled. */
function printNearTies(results: readonly WorkloadResult[]): void {
    const keys = nearTieKeys(settingsGrid());
    if (keys.length === 0) return;
    console.log(`\n== Where answers part from full prefill: its own top-two gap at the first differing token (near tie: < ${NEAR_TIE_NATS} nats) ==`);
    const line = (s: NearTieSummary): string =>
        s.misses === 0
            ? "no miss"
            : `${s.misses} missed, ${s.nearTieMisses} at a near tie` +
              (s.missMargins.length === 0 ? "" : ` (gap median ${median(s.missMargins).toFixed(2)}, max ${s.missMargins.at(-1)!.toFixed(2)} nats)`);
    const all = results.flatMap((w) => w.targets);
    console.log(
        table(
            ["workload", ...keys, "near-tie tokens in full prefill"],
            [
                ...results.map((w) => [
                    w.name,
                    ...keys.map((k) => line(w.nearTies[k] ?? nearTiesOf(w.targets, k))),
                    pct(nearTiesOf(w.targets, keys[0]!).nearTieTokenShare)
                ]),
                ["all", ...keys.map((k) => line(nearTiesOf(all, k))), pct(nearTiesOf(all, keys[0]!).nearTieTokenShare)]
            ]
        )
    );
    console.log("  (a miss: an answer not identical to full prefill's; a greedy token flips where the gap is below the error reused KV leaves in the logits)");
}

function printCells(title: string, w: WorkloadCells): void {
    console.log(`\n## ${title}`);
    const reported = (c: Cell): string =>
        Object.entries(c.reported)
            .map(([k, v]) => (Object.keys(c.reported).length === 1 ? k : `${k}×${v}`))
            .join(",");
    console.log(
        table(
            [
                "policy",
                "budget",
                "token agreement",
                "identical",
                "ROUGE-L",
                "reuse",
                "recomputed tok",
                "semantic",
                "reported policy",
                "fell back",
                "probe ms",
                "decode recompute tok / ms",
                "guard flushed (at 1st token)",
                "never computed",
                "TTFT ms"
            ],
            w.cells.map((c) => [
                c.policy,
                c.policy === "none" ? "–" : String(c.budget),
                pct(c.prefixAgreement),
                pct(c.identicalShare),
                f3(c.rougeL),
                pct(c.reuse),
                ms1(c.recomputedMean),
                `${c.semantic}/${c.targets}`,
                reported(c),
                probingPolicies.includes(c.policy) ? String(c.fellBackToBoundary) : "–",
                ms1(c.probeMsMean),
                Number.isFinite(c.decodeRecomputeTokensMean) ? `${ms1(c.decodeRecomputeTokensMean)} / ${ms1(c.decodeRecomputeMsMean)}` : "–",
                c.policy === "dhd-guard" ? `${c.flushed}/${c.semantic} (${c.flushedFirst})` : "–",
                pct(c.neverComputed),
                ms1(c.ttftMeanMs)
            ])
        )
    );
    const counts: Record<string, number> = {};
    for (const c of w.cells) for (const [note, n] of Object.entries(c.notes)) counts[note] = (counts[note] ?? 0) + n;
    const notes = Object.entries(counts);
    if (notes.length > 0) console.log(`  answers not served from a donor: ${notes.map(([n, c]) => `${c}× "${n}"`).join("; ")}`);
    const ceiling = w.ceiling;
    if (ceiling != null)
        console.log(
            `  ceiling (every kept token recomputed, ${CEILING_SETTING.policy}@${CEILING_SETTING.budget}; what arithmetic alone leaves of full prefill): ` +
                `agreement ${pct(ceiling.prefixAgreement)}, identical ${pct(ceiling.identicalShare)}, ROUGE-L ${f3(ceiling.rougeL)}, reuse ${pct(ceiling.reuse)}, ` +
                `${ceiling.semantic}/${ceiling.targets} served from a donor (reported policy: ${reported(ceiling)})`
        );
}

async function qualityPart(workloads: Workload[], warnings: string[]): Promise<{results: WorkloadResult[]; modelId: string; kvEditingOff?: string}> {
    const grid = settingsGrid();
    console.log(`== Quality: ${path.basename(QUALITY_MODEL)}, 1 thread, parallel 1, max_tokens ${MAX_TOKENS}, temperature 0 ==`);
    console.log(
        `${grid.length} settings per target (${LIMITED ? grid.map((g) => g.key).join(", ") : `none, then ${recomputePolicies.length - 1} policies × ${(grid.length - 1) / (recomputePolicies.length - 1)} budgets`}), then the ceiling; ` +
            `reference: a server with sharing and prefix reuse off; KVShare server: cost gate off, other sharing settings default ` +
            `(threshold ${defaultSharingSettings.similarityThreshold}, minRunLength ${defaultSharingSettings.minRunLength}, minGainTokens ${defaultSharingSettings.minGainTokens})`
    );
    console.log(
        "token agreement: the output texts tokenized by the served model (no tokenize route in the API: in-process), leading equal tokens ÷ the longer"
    );
    const reference = await launch(QUALITY_MODEL, 1, {enabled: false, prefixReuse: false}, warnings);
    const modelId = reference.modelId;
    const results: WorkloadResult[] = [];
    const editing: {off?: string} = {};
    try {
        for (const workload of workloads) {
            const started = performance.now();
            const result = await runWorkload(workload, reference, warnings, editing);
            results.push(result);
            printCells(`${workload.name} — ${workload.description}`, result);
            console.log(
                `  ${result.donors} donors seeded (${result.donorsStored} cached), ${result.targets.length} targets × ${grid.length} settings + the ceiling in ${((performance.now() - started) / 1000).toFixed(1)} s` +
                    (result.storeIgnored > 0
                        ? `; the server stored ${result.storeIgnored} store:false answers (it does not read the field yet): removed again`
                        : "")
            );
        }
    } finally {
        await reference.close();
    }
    return {results, modelId, ...(editing.off == null ? {} : {kvEditingOff: editing.off})};
}

function printVerdicts(results: WorkloadResult[], goals: GoalResult[]): void {
    const honoured = honouredShare(results);
    const answers = results.reduce((s, w) => s + w.cells.reduce((t, c) => t + c.targets, 0), 0);
    console.log("\n== Summary ==");
    console.log(
        `per-request choice: ${honoured.asRequested} of ${honoured.semantic} donor-served answers report the policy asked for; ` +
            `${honoured.fellBack} report boundary for a probing policy (no probe); ${honoured.absent} of ${answers} answers carry no recompute_policy`
    );
    for (const p of probingPolicies) {
        const fell = results.reduce((s, w) => s + w.cells.filter((c) => c.policy === p).reduce((t, c) => t + c.fellBackToBoundary, 0), 0);
        const sem = results.reduce((s, w) => s + w.cells.filter((c) => c.policy === p).reduce((t, c) => t + c.semantic, 0), 0);
        console.log(`  ${p}: ${fell} of ${sem} donor-served answers fell back to boundary`);
    }
    if (honoured.semantic > 0 && honoured.asRequested === 0)
        console.log("NOTE: the server did not run any requested policy (the x_kvshare request field is not read yet): every setting is the same path");
    for (const g of goals) console.log(`${g.verdict}: ${g.goal} — ${g.detail}`);
    if (QUICK) console.log("(--quick: story workloads only, 3 targets each, no timing: too few to judge the goals; the full run decides)");
}

async function main(): Promise<void> {
    const started = performance.now();
    selfCheck();
    pairedGainSelfCheck();
    const warnings: string[] = [];
    if (TIMING_ONLY) {
        await timingPart(warnings);
        return;
    }
    const workloads = qualityWorkloads(QUICK ? QUICK_QUALITY_SIZES : scaledSizes(FULL_QUALITY_SIZES, SCALE), QUICK);
    console.log(`metrics self-check: ok${QUICK ? "; --quick" : ""}${SCALE > 1 ? `; --scale ${SCALE}` : ""}${TIMING ? "" : "; no timing part"}`);
    const quality = await qualityPart(workloads, warnings);
    const qualitySeconds = (performance.now() - started) / 1000;
    const timing: TimingResult | undefined = TIMING ? await timingPart(warnings) : undefined;
    const all = pooled(quality.results);
    printCells("all workloads (mean per workload)", all);
    const goals = checkGoals(quality.results, all, timing?.decodeCost);
    printNearTies(quality.results);
    printVerdicts(quality.results, goals);
    if (warnings.length > 0) console.log(`\nserver warnings (${warnings.length}): ${[...new Set(warnings)].slice(0, 10).join(" | ")}`);

    const stamp = resultsStamp();
    const json = {
        bench: "bench:quality",
        createdAt: new Date().toISOString(),
        quick: QUICK,
        scale: SCALE,
        limitedGrid: LIMITED,
        quality: {
            model: quality.modelId,
            kvEditingOff: quality.kvEditingOff ?? null,
            threads: 1,
            parallel: 1,
            maxTokens: MAX_TOKENS,
            temperature: 0,
            settings: settingsGrid(),
            sharingDefaults: defaultSharingSettings,
            workloads: quality.results,
            all
        },
        timing: timing ?? null,
        goals,
        warnings,
        seconds: {quality: qualitySeconds, total: (performance.now() - started) / 1000}
    };
    writeResults(`quality-${stamp}`, json, tradeoffChart(stamp, QUICK, path.basename(QUALITY_MODEL, ".gguf"), quality.results, all, goals, timing), started);
}

main().then(
    () => process.exit(0),
    (error: unknown) => {
        console.error(error instanceof Error ? (error.stack ?? error.message) : error);
        process.exit(1);
    }
);
