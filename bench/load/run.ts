/**
 * `npm run bench:load`: N concurrent loopback clients (official `openai` client) for a bounded time,
 * a mix of paraphrased and unrelated prompts, streaming and not; sharing on and off side by side.
 * Prints completed / failed / lost / duplicated responses, p50/p95 TTFT and tokens/s.
 *   --clients N (32)  --seconds S per mode and round (60)  --parallel P sequences (4)  --max-tokens M (32)
 *   --policy P (the settings' default recompute policy, for sharing on)
 *   --rounds R (2): the modes take turns R times (off, on, off, on, …), each for S seconds on a fresh
 *   server, and each mode's figures pool its rounds, so a drift of the machine's speed touches both.
 *   A minute per round: on the 0.5B dummy model 32 clients wait ~50 s for a first token, so shorter
 *   rounds measure little but the first wave, and each fresh server's first requests (the cost gate
 *   measuring its rates) would weigh as much as the steady state.
 * Also prints where the time went per mode (server-side queue and prompt milliseconds, from the
 * non-streamed responses) and, with sharing on, how prompts were served (semantic, prefix, gate).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import OpenAI from "openai";
import {silentLogger} from "../../main/common/log.js";
import {startServer} from "../../main/app/startServer.js";
import type {RecomputePolicy} from "../../shared/settings.js";
import {seededRandom} from "../../test/support/seededRandom.js";
import {loadPrompts, type LoadPrompts} from "./prompts.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = path.resolve(here, "../../../shared");
const {values} = parseArgs({
    options: {
        clients: {type: "string", default: "32"},
        seconds: {type: "string", default: "60"},
        parallel: {type: "string", default: "4"},
        "max-tokens": {type: "string", default: "32"},
        policy: {type: "string"},
        rounds: {type: "string", default: "2"},
        model: {type: "string", default: path.join(shared, "models", "stories260K.gguf")}
    }
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const maxTokens = Number(values["max-tokens"]);
/** The served model's id (its file name), which requests name. */
const modelId = path.basename(values.model, ".gguf");

interface Outcome {
    ok: boolean;
    ttftMs: number;
    /** Server-side, non-streamed responses only. */
    queueMs?: number;
    promptMs?: number;
    /** How the prompt was served (`x_kvshare.mode`, plus "gate" when the cost gate chose the floor). */
    served?: string;
    /** The hit record's stage timings (non-streamed responses). */
    stages?: Record<string, number>;
    completionTokens: number;
    reusedTokens: number;
    promptTokens: number;
    id: string;
    error?: string;
}

async function oneRequest(client: OpenAI, prompt: string, stream: boolean, user: string): Promise<Outcome> {
    const start = performance.now();
    if (!stream) {
        const res = await client.chat.completions.create({
            model: modelId,
            messages: [{role: "user", content: prompt}],
            max_tokens: maxTokens,
            temperature: 0.7,
            user
        });
        const extra = res as unknown as {
            timings: {ttft_ms: number; queue_ms: number; prompt_ms: number};
            x_kvshare: {reused_tokens: number; mode: string; note?: string; stages?: Record<string, number>};
        };
        const finished = res.choices[0]?.finish_reason != null;
        return {
            ok: finished,
            ttftMs: extra.timings.ttft_ms,
            queueMs: extra.timings.queue_ms,
            promptMs: extra.timings.prompt_ms,
            served: extra.x_kvshare.note?.startsWith("cost gate") === true ? "gate" : extra.x_kvshare.mode,
            stages: extra.x_kvshare.stages,
            completionTokens: res.usage?.completion_tokens ?? 0,
            reusedTokens: extra.x_kvshare.reused_tokens,
            promptTokens: res.usage?.prompt_tokens ?? 0,
            id: res.id,
            error: finished ? undefined : "no finish_reason"
        };
    }
    const chunks = await client.chat.completions.create({
        model: modelId,
        messages: [{role: "user", content: prompt}],
        max_tokens: maxTokens,
        temperature: 0.7,
        user,
        stream: true,
        stream_options: {include_usage: true}
    });
    let ttft = -1;
    let id = "";
    let finishes = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    let reused = 0;
    for await (const chunk of chunks) {
        id ||= chunk.id;
        if (chunk.id !== id) return {ok: false, ttftMs: 0, completionTokens: 0, reusedTokens: 0, promptTokens: 0, id, error: "mixed stream ids"};
        if (ttft < 0 && (chunk.choices[0]?.delta.content ?? "") !== "") ttft = performance.now() - start;
        if (chunk.choices[0]?.finish_reason != null) finishes++;
        if (chunk.usage != null) {
            usage = chunk.usage;
            reused = (chunk as unknown as {x_kvshare?: {reused_tokens: number}}).x_kvshare?.reused_tokens ?? 0;
        }
    }
    const ok = finishes === 1 && usage != null;
    return {
        ok,
        ttftMs: ttft < 0 ? performance.now() - start : ttft,
        completionTokens: usage?.completion_tokens ?? 0,
        reusedTokens: reused,
        promptTokens: usage?.prompt_tokens ?? 0,
        id,
        error: ok ? undefined : `finish chunks ${finishes}, usage ${usage != null}`
    };
}

async function runMode(label: string, sharing: boolean, prompts: LoadPrompts, seed: number) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-load-"));
    const server = await startServer({
        modelPath: values.model,
        dataDir,
        log: silentLogger,
        apiKey: "kvs-load-test-key-000000",
        overrides: {
            threads: 1,
            parallel: Number(values.parallel),
            api: {port: 0},
            sharing: {enabled: sharing, ...(values.policy == null ? {} : {recomputePolicy: values.policy as RecomputePolicy})},
            limits: {
                maxQueue: clients * 2,
                queueTimeoutMs: 120_000,
                maxBodyBytes: 1 << 20,
                maxTokensCap: 4096,
                maxConcurrentPerKey: clients,
                requestTimeoutMs: 120_000
            }
        }
    });
    const random = seededRandom(seed);
    const deadline = performance.now() + seconds * 1000;
    const outcomes: Outcome[] = [];
    let sent = 0;
    let failed = 0;
    const errors = new Map<string, number>();
    const started = performance.now();
    const worker = async (n: number) => {
        const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "kvs-load-test-key-000000", maxRetries: 3, timeout: 120_000});
        while (performance.now() < deadline) {
            const r = random();
            const cluster = prompts.clusters[Math.floor(random() * prompts.clusters.length)]!;
            const prompt = r < 0.7 ? cluster[Math.floor(random() * cluster.length)]! : prompts.unrelated[Math.floor(random() * prompts.unrelated.length)]!;
            sent++;
            try {
                const outcome = await oneRequest(client, prompt, n % 2 === 0, `client-${n % 4}`);
                outcomes.push(outcome);
                if (!outcome.ok) errors.set(outcome.error ?? "?", (errors.get(outcome.error ?? "?") ?? 0) + 1);
            } catch (error) {
                failed++;
                const message = (error as Error).message.slice(0, 80);
                errors.set(message, (errors.get(message) ?? 0) + 1);
            }
        }
    };
    await Promise.all(Array.from({length: clients}, (_, n) => worker(n)));
    const wall = (performance.now() - started) / 1000;
    await server.close();

    return {label, sent, failed, outcomes, errors, wall};
}

type Round = Awaited<ReturnType<typeof runMode>>;

/** One mode's rounds pooled: counts summed, percentiles over every completed request, tokens over the summed time. */
function summarize(label: string, rounds: Round[]) {
    const outcomes = rounds.flatMap((r) => r.outcomes);
    const completed = outcomes.filter((o) => o.ok);
    const failed = rounds.reduce((sum, r) => sum + r.failed, 0);
    const sent = rounds.reduce((sum, r) => sum + r.sent, 0);
    const ids = new Set(completed.map((o) => o.id));
    const ttfts = completed.map((o) => o.ttftMs).sort((a, b) => a - b);
    const pct = (p: number) => (ttfts.length === 0 ? 0 : ttfts[Math.min(ttfts.length - 1, Math.floor(p * ttfts.length))]!);
    const tokens = completed.reduce((sum, o) => sum + o.completionTokens, 0);
    const promptTokens = completed.reduce((sum, o) => sum + o.promptTokens, 0);
    const reused = completed.reduce((sum, o) => sum + o.reusedTokens, 0);
    const timed = completed.filter((o) => o.queueMs != null);
    const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
    /** How many prompts were served each way, and their mean prompt milliseconds. */
    const served = new Map<string, {count: number; promptMs: number}>();
    for (const o of timed) {
        const way = served.get(o.served ?? "?") ?? {count: 0, promptMs: 0};
        way.promptMs = (way.promptMs * way.count + o.promptMs!) / (way.count + 1);
        way.count++;
        served.set(o.served ?? "?", way);
    }
    // Mean stage timings of the semantic hits: where a donor's time goes under load.
    const semanticStages = new Map<string, number>();
    const semantic = timed.filter((o) => o.served === "semantic" && o.stages != null);
    for (const o of semantic)
        for (const [stage, ms] of Object.entries(o.stages!)) semanticStages.set(stage, (semanticStages.get(stage) ?? 0) + ms / semantic.length);
    const errors = new Map<string, number>();
    for (const r of rounds) for (const [message, count] of r.errors) errors.set(message, (errors.get(message) ?? 0) + count);
    return {
        label,
        sent,
        completed: completed.length,
        failed: failed + outcomes.filter((o) => !o.ok).length,
        lost: sent - outcomes.length - failed,
        duplicated: completed.length - ids.size,
        p50: pct(0.5),
        p95: pct(0.95),
        tokensPerSecond: tokens / rounds.reduce((sum, r) => sum + r.wall, 0),
        reusedShare: promptTokens === 0 ? 0 : reused / promptTokens,
        queueMs: mean(timed.map((o) => o.queueMs!)),
        promptMs: mean(timed.map((o) => o.promptMs!)),
        served,
        semanticStages,
        errors
    };
}

const prompts = loadPrompts(path.join(shared, "data"));
console.log(
    `load test: ${clients} clients × ${seconds} s per mode and round, ${values.rounds} rounds (modes alternating), ${values.parallel} sequences, max_tokens ${maxTokens}, ` +
        `${prompts.clusters.length} paraphrase clusters + ${prompts.unrelated.length} unrelated prompts, half the clients streaming`
);
const roundsOff: Round[] = [];
const roundsOn: Round[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
    // Each round its own prompt sequence, the same for both modes.
    roundsOff.push(await runMode("sharing off", false, prompts, 42 + round));
    roundsOn.push(await runMode("sharing on", true, prompts, 42 + round));
}
const results = [summarize("sharing off", roundsOff), summarize("sharing on", roundsOn)];
const row = (cells: Array<string | number>) => console.log(cells.map((c, i) => String(c).padStart(i === 0 ? 12 : 11)).join(" "));
row(["mode", "sent", "completed", "failed", "lost", "duplicated", "p50 TTFT", "p95 TTFT", "tok/s", "reused"]);
for (const r of results)
    row([
        r.label,
        r.sent,
        r.completed,
        r.failed,
        r.lost,
        r.duplicated,
        `${r.p50.toFixed(0)} ms`,
        `${r.p95.toFixed(0)} ms`,
        r.tokensPerSecond.toFixed(0),
        `${(r.reusedShare * 100).toFixed(1)}%`
    ]);
const [off, on] = results as [(typeof results)[0], (typeof results)[0]];
console.log(
    `ratios (on ÷ off): p50 TTFT ${(on.p50 / off.p50).toFixed(2)}, p95 TTFT ${(on.p95 / off.p95).toFixed(2)}, tok/s ${(on.tokensPerSecond / off.tokensPerSecond).toFixed(2)}`
);
for (const r of results) {
    const served = [...r.served].map(([how, way]) => `${how} ${way.count} (${way.promptMs.toFixed(0)} ms)`).join(", ");
    const stages = [...r.semanticStages].map(([stage, ms]) => `${stage.replace(/_ms$/, "")} ${ms.toFixed(1)}`).join(", ");
    if (stages !== "") console.log(`  ${r.label}: semantic hits' mean stage ms: ${stages}`);
    console.log(
        `  ${r.label}: mean queue ${r.queueMs.toFixed(0)} ms, mean prompt ${r.promptMs.toFixed(1)} ms (non-streamed); served (mean prompt ms): ${served}`
    );
}
for (const r of results) for (const [message, count] of r.errors) console.log(`  ${r.label}: ${count} × ${message}`);
const clean = results.every((r) => r.lost === 0 && r.duplicated === 0 && r.failed === 0);
console.log(clean ? "OK: 0 lost, 0 duplicated, 0 failed" : "PROBLEMS: see above");
process.exit(clean ? 0 : 1);
