/**
 * `npm run bench:floor` — the no-recompute floor every recompute policy builds on, built two ways from the
 * same donor and plan on stories260K: the app's batched build (one relaxed batch computes every new token,
 * kept cells moved into place) and the left-to-right reference (kept runs copied, each new run decoded after
 * them, as an earlier prototype did). Both against a full prefill of the target, greedy 32 tokens, on
 * TinyStories pairs (a name or an object swapped) and inserts (a sentence added mid-story).
 *
 * If the two builds give the same continuations, the floor is the left-to-right build's quality by
 * construction, and any gap to it lies elsewhere (alignment, state bookkeeping); if not, the batched build
 * is wrong. Prints a table; writes bench/results/floor-<timestamp>.json.
 */
import {mkdirSync, writeFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import type {Token} from "node-llama-cpp";
import {applyEditPlan} from "../../main/kv/applyEditPlan.js";
import {createKvEditingContext} from "../../main/kv/createKvEditingContext.js";
import {applyEditPlanSequentially} from "../../main/kv/__tests__/sequentialEdit.js";
import {greedy, greedyFullPrefill, snapshotOf, STORIES_260K, testLlama} from "../../main/kv/__tests__/support.js";
import {alignTokens} from "../../main/sharing/align/index.js";
import {selectRecompute} from "../../main/sharing/policy/index.js";
import {rougeL} from "../share/metrics.js";
import {storySwaps, type BenchRequest} from "../share/workloads.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const GREEDY = 32;
const PAIRS = Number(process.argv.find((a) => a.startsWith("--pairs="))?.slice(8) ?? 20);
const INSERTS = ["The sun was warm and the birds sang in the sky.", "Her friend came to play with her that day.", "It was a very happy day for everyone."];

/** Swap pairs from bench:share's workload, and insert pairs made from the same originals. */
function pairs(): Array<{kind: string; donor: string; target: string}> {
    const requests = storySwaps(PAIRS).requests;
    const out: Array<{kind: string; donor: string; target: string}> = [];
    for (let i = 0; i + 1 < requests.length; i += 2) {
        const [seed, target] = [requests[i] as BenchRequest, requests[i + 1] as BenchRequest];
        out.push({kind: "swap", donor: seed.prompt, target: target.prompt});
        const sentences = seed.prompt.split(/(?<=[.!?])\s+/);
        const at = Math.max(1, Math.floor(sentences.length / 2));
        out.push({kind: "insert", donor: seed.prompt, target: [...sentences.slice(0, at), INSERTS[i % INSERTS.length], ...sentences.slice(at)].join(" ")});
    }
    return out;
}

function prefixAgreement(a: readonly Token[], b: readonly Token[]): number {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n / Math.max(1, b.length);
}

const llama = await testLlama();
const model = await llama.loadModel({modelPath: STORIES_260K});
const context = await createKvEditingContext(model, {contextSize: 1024, sequences: 3, threads: 1});
const [donorSequence, target, scratch] = [context.getSequence(), context.getSequence(), context.getSequence()];
const rows: Array<Record<string, string | number | boolean>> = [];
for (const pair of pairs()) {
    const donorTokens = model.tokenize(pair.donor, true);
    const targetTokens = model.tokenize(pair.target, true);
    await donorSequence.clearHistory();
    await donorSequence.evaluateWithoutGeneratingNewTokens(donorTokens);
    const snapshot = await snapshotOf(donorSequence);
    const alignment = alignTokens(snapshot.tokens, targetTokens);
    const plan = {keptRuns: alignment.runs, computePositions: selectRecompute(alignment.runs, targetTokens.length, {policy: "none"}).ranges};
    const full = await greedyFullPrefill(target, targetTokens, GREEDY);
    const batched = await applyEditPlan({context, targetSequence: target, donor: {snapshot}, targetTokens, plan});
    const batchedOut = await greedy(target, batched.pendingTokens, GREEDY);
    const sequential = await applyEditPlanSequentially({context, targetSequence: target, scratchSequence: scratch, donor: {snapshot}, targetTokens, plan});
    const sequentialOut = await greedy(target, sequential.pendingTokens, GREEDY);
    const text = (tokens: Token[]) => model.detokenize(tokens);
    rows.push({
        kind: pair.kind,
        reuse: batched.reusedTokens / targetTokens.length,
        batchedIdentical: batchedOut.join() === full.join(),
        sequentialIdentical: sequentialOut.join() === full.join(),
        buildsAgree: batchedOut.join() === sequentialOut.join(),
        batchedPrefix: prefixAgreement(batchedOut, full),
        sequentialPrefix: prefixAgreement(sequentialOut, full),
        batchedRouge: rougeL(text(batchedOut), text(full)),
        sequentialRouge: rougeL(text(sequentialOut), text(full))
    });
}
await context.dispose();
await model.dispose();

const mean = (key: string, kind?: string) => {
    const chosen = rows.filter((r) => kind == null || r.kind === kind);
    return chosen.reduce((s, r) => s + Number(r[key]), 0) / Math.max(1, chosen.length);
};
const count = (key: string, kind?: string) => rows.filter((r) => (kind == null || r.kind === kind) && r[key] === true).length;
console.log(`no-recompute floor, stories260K, greedy ${GREEDY} tokens, ${rows.length} pairs`);
console.log("kind     pairs  reuse   identical batched / left-to-right   builds agree   prefix agreement b / l   ROUGE-L b / l");
for (const kind of ["swap", "insert", undefined]) {
    const n = rows.filter((r) => kind == null || r.kind === kind).length;
    console.log(
        `${(kind ?? "all").padEnd(8)} ${String(n).padStart(5)}  ${(100 * mean("reuse", kind)).toFixed(1).padStart(5)}%  ${String(count("batchedIdentical", kind)).padStart(8)} / ${count("sequentialIdentical", kind)}` +
            `${"".padStart(22)}${String(count("buildsAgree", kind)).padStart(4)}/${n}        ${(100 * mean("batchedPrefix", kind)).toFixed(1)}% / ${(100 * mean("sequentialPrefix", kind)).toFixed(1)}%` +
            `         ${mean("batchedRouge", kind).toFixed(3)} / ${mean("sequentialRouge", kind).toFixed(3)}`
    );
}
const resultsDir = path.resolve(here, "../results");
mkdirSync(resultsDir, {recursive: true});
const file = path.join(resultsDir, `floor-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify({greedyTokens: GREEDY, rows}, null, 2));
console.log(`wrote ${path.relative(process.cwd(), file)}`);
