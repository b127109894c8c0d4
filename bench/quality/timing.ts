/**
 * The quality bench's timing part, on the dummy-weight ~0.5 B llama (2 threads): TTFT of every recompute
 * policy at budget 0.15 on templated clinic letters, and time per output token (TPOT) so that
 * dhd-decode's per-token cost over dhd shows (and dhd-guard's TTFT where its guard flushes before the first
 * token). One server; each target letter is asked once per policy, policy after policy, the first policy rotating
 * from letter to letter, so background load on the machine lands on every policy alike.
 */
import os from "node:os";
import path from "node:path";
import {recomputePolicies, type RecomputePolicy} from "../../shared/settings.js";
import {DEFAULT_SHAPE, ensureDummyModel} from "../dummyModel/generate.js";
import {mean, median, ms1, pct, table} from "../share/report.js";
import {clinicLetters} from "../share/workloads.js";
import {launch, type Answer} from "./client.js";
import type {DecodeCost} from "./goals.js";
import {GOAL_BUDGET} from "./score.js";

const THREADS = 2;
/** Enough output tokens for a per-token time beyond the first; few enough to keep the part short. */
const MAX_TOKENS = 12;
const TARGETS = 5;

interface PolicyTiming {
    policy: RecomputePolicy;
    requests: Array<{
        id: string;
        order: number;
        ttftMs: number;
        tpotMs: number;
        completionTokens: number;
        reused: number;
        promptTokens: number;
        recomputed: number;
        mode: string;
        reportedPolicy: string | null;
        probeMs: number | null;
        decodeRecompute: {tokens: number; ms: number; flushed_at?: number} | null;
        note: string | null;
    }>;
}

export interface TimingResult {
    model: string;
    shape: typeof DEFAULT_SHAPE;
    threads: number;
    maxTokens: number;
    budget: number;
    loadAverage: {before: number; after: number};
    policies: PolicyTiming[];
    decodeCost: DecodeCost;
}

const tpot = (a: Answer): number => (a.completionTokens > 1 ? a.predictedMs / (a.completionTokens - 1) : Number.NaN);
const finite = (xs: number[]): number[] => xs.filter(Number.isFinite);

export async function timingPart(warnings: string[]): Promise<TimingResult> {
    console.log(
        `\n== Timing: dummy-weight llama (${DEFAULT_SHAPE.layers} layers, n_embd ${DEFAULT_SHAPE.embd}, ~0.5 B, Q8_0), ${THREADS} threads, templated letters, budget ${GOAL_BUDGET} ==`
    );
    const {file, generatedMs} = ensureDummyModel();
    console.log(
        `model ${path.basename(file)} (${generatedMs == null ? "cached" : `generated in ${(generatedMs / 1000).toFixed(1)} s`}); 1 seed letter, ` +
            `${TARGETS} target letters each asked once per policy (first policy rotating), max_tokens ${MAX_TOKENS}; TPOT = (last − first token time) ÷ (tokens − 1)`
    );
    const letters = clinicLetters(1 + TARGETS, 23).requests;
    const client = await launch(file, THREADS, {enabled: true, prefixReuse: true, costGate: false}, warnings);
    const results: PolicyTiming[] = recomputePolicies.map((policy) => ({policy, requests: []}));
    const loadBefore = os.loadavg()[0] ?? 0;
    try {
        const off = client.kvEditingOff;
        if (off != null) console.log(`WARNING: KV editing unavailable (${off}): no policy can edit a donor in; the timings are prefix reuse`);
        await client.complete("The weather was calm and the sea was blue.", 2); // warm-up
        await client.seeding(true);
        for (const seed of letters.filter((r) => r.role === "seed")) await client.complete(seed.prompt, MAX_TOKENS);
        await client.seeding(false);
        const targets = letters.filter((r) => r.role === "target");
        for (const [step, letter] of targets.entries()) {
            for (let k = 0; k < results.length; k++) {
                const slot = results[(step + k) % results.length] as PolicyTiming;
                await client.flush();
                const budget = slot.policy === "none" ? 0 : GOAL_BUDGET;
                const a = await client.complete(letter.prompt, MAX_TOKENS, {recompute_policy: slot.policy, recompute_budget: budget, store: false});
                slot.requests.push({
                    id: letter.id,
                    order: k,
                    ttftMs: a.ttftMs,
                    tpotMs: tpot(a),
                    completionTokens: a.completionTokens,
                    reused: a.kv.reused_tokens,
                    promptTokens: a.promptTokens,
                    recomputed: a.kv.recomputed_tokens,
                    mode: a.kv.mode,
                    reportedPolicy: a.kv.recompute_policy ?? null,
                    probeMs: a.kv.stages?.probe_ms ?? null,
                    decodeRecompute: a.kv.decode_recompute ?? null,
                    note: a.kv.note ?? null
                });
            }
            console.log(`  letter ${step + 1}/${targets.length} done under every policy`);
        }
        if (client.storeIgnored > 0) console.log(`  (the server stored ${client.storeIgnored} store:false targets; removed again)`);
    } finally {
        await client.close();
    }
    const loadAfter = os.loadavg()[0] ?? 0;
    console.log(`1-minute load average: ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (2 cores; above ~2 means other work competed)`);
    const med = (r: PolicyTiming, f: (x: PolicyTiming["requests"][number]) => number): number => median(finite(r.requests.map(f)));
    console.log(
        table(
            [
                "policy",
                "targets",
                "semantic",
                "reported policy",
                "reuse",
                "recomputed tok",
                "TTFT median ms",
                "TTFT min ms",
                "probe ms",
                "TPOT median ms",
                "decode recompute tok / ms",
                "guard flushed (at 1st token)"
            ],
            results.map((r) => {
                const reported = [...new Set(r.requests.map((x) => x.reportedPolicy ?? "(absent)"))].join(",");
                const reused = r.requests.reduce((s, x) => s + x.reused, 0);
                const prompt = r.requests.reduce((s, x) => s + x.promptTokens, 0);
                const dr = r.requests.map((x) => x.decodeRecompute).filter((x) => x != null);
                return [
                    r.policy,
                    String(r.requests.length),
                    String(r.requests.filter((x) => x.mode === "semantic").length),
                    reported,
                    pct(reused / Math.max(1, prompt)),
                    ms1(mean(r.requests.map((x) => x.recomputed))),
                    ms1(med(r, (x) => x.ttftMs)),
                    ms1(Math.min(...r.requests.map((x) => x.ttftMs))),
                    ms1(med(r, (x) => x.probeMs ?? Number.NaN)),
                    ms1(med(r, (x) => x.tpotMs)),
                    dr.length === 0 ? "–" : `${ms1(mean(dr.map((x) => x.tokens)))} / ${ms1(mean(dr.map((x) => x.ms)))}`,
                    r.policy === "dhd-guard"
                        ? `${dr.filter((x) => x.flushed_at != null).length}/${r.requests.length} (${dr.filter((x) => x.flushed_at === 0).length})`
                        : "–"
                ];
            })
        )
    );
    const byPolicy = (p: RecomputePolicy): PolicyTiming => results.find((r) => r.policy === p) as PolicyTiming;
    const dd = byPolicy("dhd-decode");
    const decodeCost: DecodeCost = {
        dhdTpotMs: med(byPolicy("dhd"), (x) => x.tpotMs),
        dhdDecodeTpotMs: med(dd, (x) => x.tpotMs),
        recordedMsPerToken: median(
            finite(dd.requests.map((x) => (x.decodeRecompute == null ? Number.NaN : x.decodeRecompute.ms / Math.max(1, x.completionTokens))))
        ),
        dhdDecodeTtftMs: med(dd, (x) => x.ttftMs),
        dhdGuardTtftMs: med(byPolicy("dhd-guard"), (x) => x.ttftMs)
    };
    console.log(
        `dhd-decode vs dhd, same letters, same run: TPOT ${ms1(decodeCost.dhdDecodeTpotMs)} vs ${ms1(decodeCost.dhdTpotMs)} ms ` +
            `(${ms1(decodeCost.dhdDecodeTpotMs - decodeCost.dhdTpotMs)} ms per token); the records' decode_recompute: ${ms1(decodeCost.recordedMsPerToken)} ms per token`
    );
    const odd = results.flatMap((r) => r.requests.filter((x) => x.mode !== "semantic").map((x) => `${r.policy} ${x.id}: ${x.mode} (${x.note ?? ""})`));
    if (odd.length > 0) console.log(`targets not served from the donor: ${odd.slice(0, 8).join("; ")}${odd.length > 8 ? ` … (${odd.length})` : ""}`);
    return {
        model: path.basename(file),
        shape: DEFAULT_SHAPE,
        threads: THREADS,
        maxTokens: MAX_TOKENS,
        budget: GOAL_BUDGET,
        loadAverage: {before: loadBefore, after: loadAfter},
        policies: results,
        decodeCost
    };
}
