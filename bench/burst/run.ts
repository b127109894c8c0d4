/**
 * `npm run bench:burst`: a class asks at once. N clients (8, 16, 32 by default) send paraphrases of the
 * same few prompts at the same instant, in rounds; sharing off (full prefill), exact prefix reuse only
 * and KVShare side by side, each on a fresh server and cache, in one run. Prints reuse, p50/p95 TTFT,
 * throughput and lost/duplicated answers per mode, and the ratios to sharing off. A second part sends
 * pairs of paraphrases (a, then b) back to back and with a one-second gap, and prints b's reuse.
 *   --clients 8,16,32  --rounds 3  --parallel 4  --max-tokens 8  --model PATH (stories260K)
 *   --policy P: the recompute policy for KVShare (default: the settings' default)
 *   --dummy: the ~0.5B dummy-weight model (bench/dummyModel) instead, for realistic prefill cost
 *   --workload exercise (default): a class on one exercise: each student's prompt starts with their
 *     name, then the same story (TinyStories) and one of a few phrasings of the question, so prefix
 *     reuse finds almost nothing and KVShare most of the prompt;
 *     questions: short paraphrased patient questions (COVID-Q), where a prefill is cheap anyway
 * Reuse is also shown against its upper bound: each prompt aligned to the most reusable other prompt
 * of its round (what a burst could reuse if one prefill served everyone).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import OpenAI from "openai";
import {silentLogger} from "../../main/common/log.js";
import {startServer, type RunningServer} from "../../main/app/startServer.js";
import {recomputePolicies, type RecomputePolicy, type SharingSettings} from "../../shared/settings.js";
import {ensureDummyModel} from "../dummyModel/generate.js";
import {loadPrompts} from "../load/prompts.js";
import {alignTokens} from "../../main/sharing/align/index.js";
import {tinyStories} from "../../test/support/testData.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = path.resolve(here, "../../../shared");
const {values} = parseArgs({
    options: {
        clients: {type: "string", default: "8,16,32"},
        rounds: {type: "string", default: "3"},
        parallel: {type: "string", default: "4"},
        "max-tokens": {type: "string", default: "8"},
        model: {type: "string"},
        dummy: {type: "boolean", default: false},
        workload: {type: "string", default: "exercise"},
        pairs: {type: "string", default: "12"},
        policy: {type: "string"}
    }
});
const policy = values.policy as RecomputePolicy | undefined;
if (policy != null && !recomputePolicies.includes(policy)) {
    console.error(`--policy must be one of ${recomputePolicies.join(", ")}; got ${JSON.stringify(values.policy)}`);
    process.exit(2);
}
const clientCounts = values.clients
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
const rounds = Number(values.rounds);
const maxTokens = Number(values["max-tokens"]);
const modelPath = values.model ?? (values.dummy ? ensureDummyModel().file : path.join(shared, "models", "stories260K.gguf"));
const apiKey = "kvs-burst-bench-key-0000";

const modes: Array<{label: string; sharing: Partial<SharingSettings>}> = [
    {label: "sharing off", sharing: {enabled: false, prefixReuse: false}},
    {label: "prefix only", sharing: {enabled: false, prefixReuse: true}},
    {label: "KVShare", sharing: {enabled: true, prefixReuse: true}}
];

interface Answer {
    ttftMs: number;
    promptTokens: number;
    reusedTokens: number;
    completionTokens: number;
    id: string;
}

async function start(sharing: Partial<SharingSettings>, clients: number): Promise<RunningServer> {
    return startServer({
        modelPath,
        dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-burst-")),
        log: silentLogger,
        apiKey,
        overrides: {
            threads: 2,
            parallel: Number(values.parallel),
            api: {port: 0},
            sharing: {...sharing, ...(policy == null ? {} : {recomputePolicy: policy})},
            // Merged over the defaults: a whole burst queued at once, and the dummy model's long waits.
            limits: {maxQueue: clients * 2, queueTimeoutMs: 300_000, maxConcurrentPerKey: clients, maxInFlightBytesPerKey: 64 << 20, requestTimeoutMs: 300_000}
        }
    });
}

async function ask(client: OpenAI, prompt: string): Promise<Answer> {
    const res = await client.completions.create({model: path.basename(modelPath, ".gguf"), prompt, max_tokens: maxTokens, temperature: 0});
    const extra = res as unknown as {timings: {ttft_ms: number}; x_kvshare: {reused_tokens: number}};
    return {
        ttftMs: extra.timings.ttft_ms,
        promptTokens: res.usage?.prompt_tokens ?? 0,
        reusedTokens: extra.x_kvshare.reused_tokens,
        completionTokens: res.usage?.completion_tokens ?? 0,
        id: res.id
    };
}

const pct = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);

const names = [
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kira",
    "Leo",
    "Maya",
    "Noah",
    "Olivia",
    "Pablo",
    "Quinn",
    "Ruby",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zoe",
    "Aria",
    "Bruno",
    "Cleo",
    "Dev",
    "Elif",
    "Felix"
];
const questionPhrasings = [
    "Who is the story about?",
    "Who is the main character of the story?",
    "What is the name of the main character?",
    "Whom does the story follow?"
];
/** Exercise texts of about 300 tokens: consecutive TinyStories paragraphs joined to ~1,300 characters. */
const exercises = (() => {
    const stories = tinyStories().filter((story) => story.length > 200);
    const texts: string[] = [];
    let current: string[] = [];
    for (const story of stories) {
        current.push(story);
        if (current.join("\n\n").length >= 1300) {
            texts.push(current.join("\n\n"));
            current = [];
        }
        if (texts.length >= 16) break;
    }
    return texts;
})();

/** The prompts of one round: `clients` students at once. */
function roundPrompts(round: number, clients: number, clusters: string[][]): string[] {
    if (values.workload === "questions") {
        // A few prompts per round, each asked in many phrasings at the same instant.
        const asked = clusters.slice(round * 2, round * 2 + 2);
        return Array.from({length: clients}, (_, i) => {
            const cluster = asked[i % asked.length]!;
            return `Question from a patient: ${cluster[Math.floor(i / asked.length) % cluster.length]!} Answer:`;
        });
    }
    const story = exercises[(round * 7) % exercises.length]!;
    return Array.from(
        {length: clients},
        (_, i) =>
            `Student: ${names[i % names.length]!}, class 4B. Read the story, then answer the question in one sentence.\n\n${story}\n\n` +
            `Question: ${questionPhrasings[i % questionPhrasings.length]!}\nAnswer:`
    );
}

/** Reuse a burst could reach: each prompt's tokens aligned to the most reusable other prompt of its round. */
function reuseUpperBound(server: RunningServer, promptsByRound: string[][]): number {
    const prompts = server.core.requirePipeline().runtime.prompts;
    let reusable = 0;
    let total = 0;
    for (const round of promptsByRound) {
        const tokens = round.map((prompt) => prompts.completion(prompt).tokens);
        tokens.forEach((target, i) => {
            total += target.length;
            // The first prompt of a round has no one to reuse from.
            if (i === 0) return;
            reusable += Math.max(...tokens.filter((_, j) => j !== i).map((donor) => alignTokens(donor, target).reusedTokens));
        });
    }
    return total === 0 ? 0 : reusable / total;
}

async function burst(mode: (typeof modes)[number], clients: number, clusters: string[][]) {
    const server = await start(mode.sharing, clients);
    const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey, maxRetries: 0, timeout: 300_000});
    const answers: Answer[] = [];
    let sent = 0;
    let failed = 0;
    const started = performance.now();
    const promptsByRound = Array.from({length: rounds}, (_, round) => roundPrompts(round, clients, clusters));
    const upperBound = reuseUpperBound(server, promptsByRound);
    for (const prompts of promptsByRound) {
        sent += prompts.length;
        const results = await Promise.allSettled(prompts.map((prompt) => ask(client, prompt)));
        for (const result of results) {
            if (result.status === "fulfilled") answers.push(result.value);
            else failed++;
        }
    }
    const wall = (performance.now() - started) / 1000;
    await server.close();
    const ttfts = answers.map((a) => a.ttftMs).sort((a, b) => a - b);
    const promptTokens = answers.reduce((sum, a) => sum + a.promptTokens, 0);
    return {
        label: mode.label,
        sent,
        completed: answers.length,
        failed,
        lost: sent - answers.length - failed,
        duplicated: answers.length - new Set(answers.map((a) => a.id)).size,
        p50: pct(ttfts, 0.5),
        p95: pct(ttfts, 0.95),
        throughput: answers.reduce((sum, a) => sum + a.promptTokens + a.completionTokens, 0) / wall,
        reuse: promptTokens === 0 ? 0 : answers.reduce((sum, a) => sum + a.reusedTokens, 0) / promptTokens,
        upperBound
    };
}

async function pairs(clusters: string[][]) {
    const server = await start({enabled: true, prefixReuse: true, scopePolicy: "user"}, 4);
    const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey, maxRetries: 0, timeout: 300_000});
    const count = Number(values.pairs);
    const share = {backToBack: {reused: 0, prompt: 0}, gap: {reused: 0, prompt: 0}};
    for (let i = 0; i < count; i++) {
        const cluster = clusters[i % clusters.length]!;
        // The same pair both ways (each in its own scope), so the two figures differ only by the gap.
        const a = cluster[(Math.floor(i / clusters.length) * 2) % cluster.length]!;
        const b = cluster[(Math.floor(i / clusters.length) * 2 + 1) % cluster.length]!;
        for (const [key, gapMs] of [
            ["backToBack", 0],
            ["gap", 1000]
        ] as const) {
            // Each pair in its own scope, so earlier pairs are no donors.
            const user = `pair-${key}-${i}`;
            await client.completions.create({
                model: path.basename(modelPath, ".gguf"),
                prompt: `Question from a patient: ${a} Answer:`,
                max_tokens: maxTokens,
                temperature: 0,
                user
            });
            if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
            const res = await client.completions.create({
                model: path.basename(modelPath, ".gguf"),
                prompt: `Question from a patient: ${b} Answer:`,
                max_tokens: maxTokens,
                temperature: 0,
                user
            });
            const record = (res as unknown as {x_kvshare: {reused_tokens: number}}).x_kvshare;
            share[key].reused += record.reused_tokens;
            share[key].prompt += res.usage?.prompt_tokens ?? 0;
        }
    }
    await server.close();
    return {backToBack: share.backToBack.reused / Math.max(1, share.backToBack.prompt), gap: share.gap.reused / Math.max(1, share.gap.prompt)};
}

const {clusters} = loadPrompts(path.join(shared, "data"));
console.log(
    `burst bench: ${path.basename(modelPath)}, recompute policy ${policy ?? "default"}, ${values.parallel} sequences, ${rounds} rounds per burst size, max_tokens ${maxTokens}, ` +
        (values.workload === "questions"
            ? `paraphrases of ${Math.min(clusters.length, rounds * 2)} COVID-Q questions (two per round)`
            : `a class on one exercise per round (student's name first, then a TinyStories story and one of ${questionPhrasings.length} phrasings of the question)`)
);
const row = (cells: Array<string | number>) => console.log(cells.map((c, i) => String(c).padStart(i === 0 ? 14 : 11)).join(" "));
let clean = true;
// The server's scope is global (default): one classroom.
for (const clients of clientCounts) {
    console.log(`\n== ${clients} clients at once ==`);
    row(["mode", "sent", "completed", "lost", "duplicated", "p50 TTFT", "p95 TTFT", "tok/s", "reused", "of bound"]);
    const results = [];
    for (const mode of modes) results.push(await burst(mode, clients, clusters));
    for (const r of results)
        row([
            r.label,
            r.sent,
            r.completed,
            r.lost,
            r.duplicated,
            `${r.p50.toFixed(0)} ms`,
            `${r.p95.toFixed(0)} ms`,
            r.throughput.toFixed(0),
            `${(r.reuse * 100).toFixed(1)}%`,
            `${r.upperBound === 0 ? 0 : ((r.reuse / r.upperBound) * 100).toFixed(0)}%`
        ]);
    const [off, , kvshare] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
    console.log(`reuse upper bound (each prompt aligned to the most reusable other prompt of its round): ${(off.upperBound * 100).toFixed(1)}%`);
    console.log(
        `KVShare ÷ sharing off: p50 TTFT ${(kvshare.p50 / off.p50).toFixed(2)}, p95 TTFT ${(kvshare.p95 / off.p95).toFixed(2)}, throughput ${(kvshare.throughput / off.throughput).toFixed(2)}`
    );
    clean &&= results.every((r) => r.lost === 0 && r.duplicated === 0 && r.failed === 0);
}
const pairResult = await pairs(clusters);
console.log(
    `\n== pairs (a, then b) ==\nb's prompt tokens reused: back to back ${(pairResult.backToBack * 100).toFixed(1)}%, one second apart ${(pairResult.gap * 100).toFixed(1)}% ` +
        `(difference ${((pairResult.gap - pairResult.backToBack) * 100).toFixed(1)} points)`
);
console.log(clean ? "OK: 0 lost, 0 duplicated, 0 failed" : "PROBLEMS: requests lost, duplicated or failed");
process.exit(clean ? 0 : 1);
