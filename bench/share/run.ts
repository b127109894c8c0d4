/**
 * `npm run bench:share` — KVShare evaluation bench.
 *
 * Four modes side by side in one run, each on a fresh server + data folder per workload, asked the
 * same request sequence over the real HTTP API (/v1/completions, or /v1/chat/completions for the
 * chat variant), greedy (temperature 0), parallel = 1:
 *   full     full prefill            sharing.enabled = false, prefixReuse = false
 *   prefix   exact prefix reuse      sharing.enabled = false, prefixReuse = true
 *   kvs-r0   KVShare, no recompute   sharing.enabled = true,  recomputeBudget = 0
 *   kvshare  KVShare, default budget sharing.enabled = true   (recomputeBudget from the defaults)
 *
 * Quality part (stories260K, 1 thread): per workload and mode — requests, prompt tokens, reused
 * tokens, hit rate, semantic hits, TTFT, ROUGE-L and BLEU of each mode's output against full
 * prefill's output for the same request. Headline: KVShare reused tokens ÷ exact-prefix reused tokens
 * on the paraphrase (COVID-Q, QQP duplicates) and templated workloads; the issue asks for ≥ 2×.
 * Timing part (dummy-weight ~0.5 B llama, 2 threads): templated letters only; one server per mode,
 * all four up at once, the target letters asked mode after mode with a rotating first mode (so load
 * from other processes on the machine lands on every mode alike); TTFT per mode, speed-ups from medians.
 *
 * Flags: --quick (few requests, no timing part; < 90 s), --no-timing, --timing-only (timing part only,
 * nothing written).
 * Writes bench/results/share-<timestamp>.json and .svg. Exits 0 whether or not the criterion holds.
 */
import path from "node:path";
import {defaultSettings} from "../../main/config/settings.js";
import {SHARED_DIR} from "./data.js";
import {bleu, rougeL, selfCheck} from "./metrics.js";
import {barChartSvg, f3, mean, median, ms1, pct, table} from "./report.js";
import {resultsStamp, writeResults} from "../results.js";
import {ask, MODES, withServer, type Mode, type Outcome} from "./server.js";
import {timingPart} from "./timing.js";
import {allWorkloads, FULL_SIZES, QUICK_SIZES, type BenchRequest, type Workload} from "./workloads.js";

const STORIES_MODEL = path.join(SHARED_DIR, "models", "stories260K.gguf");
const MAX_TOKENS = 32;

const args = new Set(process.argv.slice(2));
const QUICK = args.has("--quick");
const TIMING = !QUICK && !args.has("--no-timing");
/** Developer shortcut: only the timing part (no quality tables, no files written). */
const TIMING_ONLY = args.has("--timing-only");

interface ModeSummary {
    mode: string;
    requests: number;
    promptTokens: number;
    reusedTokens: number;
    reusedShare: number;
    targetReusedShare: number;
    recomputedTokens: number;
    hitRate: number;
    /** Requests with at least half of their prompt reused (as the paper's hit-rate > 50% figures). */
    halfHitRate: number;
    semanticHitRate: number;
    ttftMeanMs: number;
    ttftMedianMs: number;
    rougeL: number;
    bleu: number;
    rougeLSemanticHits: number;
    bleuSemanticHits: number;
    exactOutputs: number;
    notes: Record<string, number>;
}

function summarise(mode: Mode, outcomes: Outcome[], reference: Outcome[]): {summary: ModeSummary; scores: {rougeL: number; bleu: number}[]} {
    const scores = outcomes.map((o, i) => {
        const ref = reference[i]?.text ?? "";
        return {rougeL: rougeL(o.text, ref), bleu: bleu(o.text, ref)};
    });
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    const promptTokens = sum(outcomes.map((o) => o.promptTokens));
    const reusedTokens = sum(outcomes.map((o) => o.kv.reused_tokens));
    const targets = outcomes.filter((o) => o.role === "target");
    const semantic = outcomes.map((o, i) => ({o, s: scores[i]})).filter((x) => x.o.kv.mode === "semantic");
    const notes: Record<string, number> = {};
    if (mode.sharing.enabled === true)
        for (const o of outcomes)
            if (o.role === "target" && o.kv.mode !== "semantic") {
                const note = o.kv.note ?? "(no note)";
                notes[note] = (notes[note] ?? 0) + 1;
            }
    return {
        scores,
        summary: {
            mode: mode.key,
            requests: outcomes.length,
            promptTokens,
            reusedTokens,
            reusedShare: promptTokens > 0 ? reusedTokens / promptTokens : 0,
            targetReusedShare: sum(targets.map((o) => o.kv.reused_tokens)) / Math.max(1, sum(targets.map((o) => o.promptTokens))),
            recomputedTokens: sum(outcomes.map((o) => o.kv.recomputed_tokens)),
            hitRate: outcomes.filter((o) => o.kv.reused_tokens > 0).length / Math.max(1, outcomes.length),
            halfHitRate: outcomes.filter((o) => o.kv.reused_tokens * 2 >= o.promptTokens).length / Math.max(1, outcomes.length),
            semanticHitRate: semantic.length / Math.max(1, outcomes.length),
            ttftMeanMs: mean(outcomes.map((o) => o.ttftMs)),
            ttftMedianMs: median(outcomes.map((o) => o.ttftMs)),
            rougeL: mean(scores.map((s) => s.rougeL)),
            bleu: mean(scores.map((s) => s.bleu)),
            rougeLSemanticHits: mean(semantic.map((x) => x.s?.rougeL ?? Number.NaN)),
            bleuSemanticHits: mean(semantic.map((x) => x.s?.bleu ?? Number.NaN)),
            exactOutputs: outcomes.filter((o, i) => o.text === reference[i]?.text).length,
            notes
        }
    };
}

function printWorkload(workload: Workload, summaries: ModeSummary[]): void {
    const rows = summaries.map((s, i) => [
        MODES[i]?.label ?? s.mode,
        String(s.requests),
        String(s.promptTokens),
        `${s.reusedTokens} (${pct(s.reusedShare)})`,
        pct(s.targetReusedShare),
        pct(s.hitRate),
        pct(s.halfHitRate),
        pct(s.semanticHitRate),
        `${ms1(s.ttftMeanMs)} / ${ms1(s.ttftMedianMs)}`,
        f3(s.rougeL),
        f3(s.bleu),
        `${s.exactOutputs}/${s.requests}`,
        Number.isFinite(s.rougeLSemanticHits) ? `${f3(s.rougeLSemanticHits)} / ${f3(s.bleuSemanticHits)}` : "–"
    ]);
    console.log(`\n## ${workload.name} — ${workload.description}`);
    console.log(
        table(
            [
                "mode",
                "req",
                "prompt tok",
                "reused tok (share)",
                "targets reused",
                "hit rate",
                "hits ≥50%",
                "semantic hits",
                "TTFT mean / median ms",
                "ROUGE-L",
                "BLEU",
                "same text",
                "ROUGE-L / BLEU on semantic hits"
            ],
            rows
        )
    );
    for (const [i, s] of summaries.entries()) {
        const notes = Object.entries(s.notes).sort((a, b) => b[1] - a[1]);
        if (notes.length > 0) console.log(`  ${MODES[i]?.label}: targets without semantic reuse: ${notes.map(([n, c]) => `${c}× "${n}"`).join("; ")}`);
    }
}

interface WorkloadResult {
    name: string;
    description: string;
    headline: boolean;
    summaries: ModeSummary[];
    requests: Array<BenchRequest & {outcomes: Record<string, Outcome & {rougeL: number; bleu: number}>}>;
}

async function qualityPart(workloads: Workload[], warnings: string[]): Promise<{results: WorkloadResult[]; kvEditing: boolean; modelId: string}> {
    console.log(`== Quality: ${path.basename(STORIES_MODEL)}, 1 thread, parallel 1, max_tokens ${MAX_TOKENS}, temperature 0 ==`);
    console.log(`modes: ${MODES.map((m) => `${m.label} ${JSON.stringify(m.sharing)}`).join("; ")}`);
    const s = defaultSettings.sharing;
    console.log(
        `sharing defaults: embedder ${s.embedder}, similarityThreshold ${s.similarityThreshold}, topK ${s.topK}, minRunLength ${s.minRunLength}, minGainTokens ${s.minGainTokens}, recomputeBudget ${s.recomputeBudget}`
    );
    let kvEditing = true;
    let modelId = "";
    const results: WorkloadResult[] = [];
    for (const workload of workloads) {
        const perMode: Outcome[][] = [];
        for (const mode of MODES) {
            perMode.push(
                await withServer(STORIES_MODEL, 1, mode, warnings, async (server) => {
                    const runtime = server.core.requirePipeline().runtime;
                    modelId = runtime.modelId;
                    if (mode.sharing.enabled === true && runtime.scratch == null) {
                        if (kvEditing)
                            console.log(
                                `WARNING: KV editing unavailable (${runtime.kvEditingUnavailableReason ?? "unknown"}): KVShare modes fall back to prefix reuse`
                            );
                        kvEditing = false;
                    }
                    const outcomes: Outcome[] = [];
                    for (const request of workload.requests) outcomes.push(await ask(server, request, MAX_TOKENS));
                    return outcomes;
                })
            );
        }
        const reference = perMode[0] ?? [];
        const summaries: ModeSummary[] = [];
        const scored = MODES.map((mode, m) => {
            const {summary, scores} = summarise(mode, perMode[m] ?? [], reference);
            summaries.push(summary);
            return scores;
        });
        printWorkload(workload, summaries);
        results.push({
            name: workload.name,
            description: workload.description,
            headline: workload.headline,
            summaries,
            requests: workload.requests.map((request, i) => ({
                ...request,
                outcomes: Object.fromEntries(
                    MODES.map((mode, m) => {
                        const o = perMode[m]?.[i] as Outcome;
                        const sc = scored[m]?.[i] ?? {rougeL: Number.NaN, bleu: Number.NaN};
                        return [mode.key, {...o, ...sc}];
                    })
                )
            }))
        });
    }
    return {results, kvEditing, modelId};
}

interface HeadlineRow {
    workload: string;
    prefixReused: number;
    kvshareNoRecomputeReused: number;
    kvshareReused: number;
    ratioNoRecompute: number;
    ratio: number;
    pass: boolean;
}

function headline(results: WorkloadResult[]): {rows: HeadlineRow[]; pass: boolean} {
    const byKey = (r: WorkloadResult, key: string): ModeSummary | undefined => r.summaries.find((s) => s.mode === key);
    const rows = results.map((r) => {
        const prefix = byKey(r, "prefix")?.reusedTokens ?? 0;
        const r0 = byKey(r, "kvs-r0")?.reusedTokens ?? 0;
        const k = byKey(r, "kvshare")?.reusedTokens ?? 0;
        const ratio = prefix > 0 ? k / prefix : k > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
        return {
            workload: r.name,
            prefixReused: prefix,
            kvshareNoRecomputeReused: r0,
            kvshareReused: k,
            ratioNoRecompute: prefix > 0 ? r0 / prefix : r0 > 0 ? Number.POSITIVE_INFINITY : Number.NaN,
            ratio,
            pass: ratio >= 2
        };
    });
    const headlineNames = new Set(results.filter((r) => r.headline).map((r) => r.name));
    const pass = rows.filter((r) => headlineNames.has(r.workload)).every((r) => r.pass);
    const ratioText = (x: number): string => (x === Number.POSITIVE_INFINITY ? "∞" : Number.isFinite(x) ? `${x.toFixed(2)}×` : "–");
    console.log("\n== Headline: KVShare reused prompt tokens ÷ exact-prefix reused prompt tokens (all requests of the workload) ==");
    console.log(
        table(
            ["workload", "criterion", "prefix reused", "KVShare r0 reused", "ratio r0", "KVShare reused", "ratio", "≥ 2×"],
            rows.map((r) => [
                r.workload,
                headlineNames.has(r.workload) ? "yes" : "info",
                String(r.prefixReused),
                String(r.kvshareNoRecomputeReused),
                ratioText(r.ratioNoRecompute),
                String(r.kvshareReused),
                ratioText(r.ratio),
                r.pass ? "yes" : "no"
            ])
        )
    );
    console.log(`criterion (KVShare with the default budget ≥ 2× exact prefix reuse on ${[...headlineNames].join(", ")}): ${pass ? "PASS" : "FAIL"}`);
    if (QUICK) console.log("(--quick: a handful of requests per workload, too few to judge the criterion; the full run decides)");
    return {rows, pass};
}

function chart(results: WorkloadResult[], stamp: string, head: {rows: HeadlineRow[]; pass: boolean}, timing: Record<string, unknown> | undefined): string {
    const pass = head.pass;
    const workloads = results.map((r) => (r.headline ? `${r.name} *` : r.name));
    const ratioText = (x: number): string => (x === Number.POSITIVE_INFINITY ? "∞" : Number.isFinite(x) ? `${x.toFixed(2)}×` : "–");
    const value = (r: WorkloadResult, key: string, f: (s: ModeSummary) => number): number => {
        const s = r.summaries.find((x) => x.mode === key);
        return s == null ? Number.NaN : f(s);
    };
    const speed = timing?.["speedups"] as Record<string, number> | undefined;
    const speedMin = timing?.["speedupsMin"] as Record<string, number> | undefined;
    return barChartSvg({
        title: "KVShare bench: prompt tokens reused and agreement with full prefill",
        subtitle: `${stamp} · stories260K, greedy, max_tokens ${MAX_TOKENS} · ≥ 2× prefix-reuse criterion (COVID-Q, QQP dup, templated): ${pass ? "PASS" : "FAIL"}`,
        workloads,
        modes: MODES.map((m) => ({label: m.label, color: m.color})),
        panels: [
            {
                title: "Share of prompt tokens reused (KV not computed for the request)",
                values: results.map((r) => MODES.map((m) => value(r, m.key, (s) => s.reusedShare)))
            },
            {
                title: "ROUGE-L (F1) of each mode's output vs full prefill's output",
                values: results.map((r) => MODES.map((m) => value(r, m.key, (s) => s.rougeL)))
            }
        ],
        footer: [
            `* = criterion workload. KVShare (budget) ÷ exact-prefix reused tokens: ${head.rows
                .filter((r) => results.find((w) => w.name === r.workload)?.headline)
                .map((r) => `${r.workload} ${ratioText(r.ratio)}`)
                .join(", ")}`,
            `   other workloads: ${head.rows
                .filter((r) => !results.find((w) => w.name === r.workload)?.headline)
                .map((r) => `${r.workload} ${ratioText(r.ratio)}`)
                .join(", ")}`,
            ...(speed == null || speedMin == null
                ? ["timing part not run"]
                : [
                      `Timing (dummy ~0.5 B llama, 2 threads, clinic letters; target TTFT, median | minimum): KVShare vs full prefill ${speed["kvshareVsFull"]?.toFixed(2)}× | ${speedMin["kvshareVsFull"]?.toFixed(2)}×, ` +
                          `vs exact prefix reuse ${speed["kvshareVsPrefix"]?.toFixed(2)}× | ${speedMin["kvshareVsPrefix"]?.toFixed(2)}×`,
                      `   without recompute: vs full ${speed["kvshareNoRecomputeVsFull"]?.toFixed(2)}× | ${speedMin["kvshareNoRecomputeVsFull"]?.toFixed(2)}×, vs prefix ${speed["kvshareNoRecomputeVsPrefix"]?.toFixed(2)}× | ${speedMin["kvshareNoRecomputeVsPrefix"]?.toFixed(2)}×`
                  ])
        ]
    });
}

async function main(): Promise<void> {
    const started = performance.now();
    selfCheck();
    console.log(`metrics self-check: ok (ROUGE-L F1, BLEU-4 with exp smoothing)${QUICK ? "; --quick" : ""}${TIMING ? "" : "; no timing part"}`);
    const warnings: string[] = [];
    if (TIMING_ONLY) {
        await timingPart(warnings);
        return;
    }
    const workloads = allWorkloads(QUICK ? QUICK_SIZES : FULL_SIZES);
    const quality = await qualityPart(workloads, warnings);
    const head = headline(quality.results);
    const qualitySeconds = (performance.now() - started) / 1000;
    const timing = TIMING ? await timingPart(warnings) : undefined;
    if (warnings.length > 0) console.log(`\nserver warnings (${warnings.length}): ${[...new Set(warnings)].slice(0, 10).join(" | ")}`);

    const stamp = resultsStamp();
    const json = {
        bench: "bench:share",
        createdAt: new Date().toISOString(),
        quick: QUICK,
        quality: {
            model: quality.modelId,
            kvEditing: quality.kvEditing,
            threads: 1,
            parallel: 1,
            maxTokens: MAX_TOKENS,
            temperature: 0,
            sharingDefaults: defaultSettings.sharing,
            modes: MODES,
            workloads: quality.results
        },
        headline: head,
        timing: timing ?? null,
        warnings,
        seconds: {quality: qualitySeconds, total: (performance.now() - started) / 1000}
    };
    writeResults(`share-${stamp}`, json, chart(quality.results, stamp, head, timing), started);
}

main().then(
    () => process.exit(0),
    (error: unknown) => {
        console.error(error instanceof Error ? (error.stack ?? error.message) : error);
        process.exit(1);
    }
);
