/**
 * Child process of bench/backend/run.ts: loads one llama.cpp build (argv: backend, "patched"|"stock",
 * model file) through main/runtime/nativeBuild.ts and prints prefill and decode speed as one JSON line.
 */
import {LlamaLogLevel, type Token} from "node-llama-cpp";
import {createKvEditingContext} from "../../main/kv/createKvEditingContext.js";
import {addonOf, sequenceIdOf} from "../../main/kv/internals.js";
import {PARKING_OFFSET} from "../../main/kv/editPlan.js";
import {modelLayerCount, probeLayer} from "../../main/kv/probe.js";
import {loadLlama, type Backend} from "../../main/runtime/nativeBuild.js";

const [backend, kind, modelPath, promptArg, decodeArg, threadsArg] = process.argv.slice(2) as [Backend, string, string, string, string, string];
const promptTokens = Number(promptArg);
const decodeTokens = Number(decodeArg);
const {llama, build} = await loadLlama({
    gpu: backend === "cpu" ? false : backend,
    gpuFallback: "stock-gpu",
    maxThreads: Number(threadsArg),
    logLevel: LlamaLogLevel.error,
    forceStock: kind === "stock"
});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: promptTokens + decodeTokens + 16, threads: Number(threadsArg)});
const sequence = context.getSequence();
const vocab = model.tokenize("Once upon a time, a nurse and a teacher met in the small clinic by the school and talked.", false);
const prompt = Array.from({length: promptTokens}, (_, i) => vocab[i % vocab.length]!) as Token[];
// Warm-up (pipelines are compiled on first use on Vulkan), then the measured runs.
await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, 32));
await sequence.clearHistory();
let t = performance.now();
await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
const prefillMs = performance.now() - t;
t = performance.now();
let n = 0;
for await (const _token of sequence.evaluate(prompt.slice(-1), {temperature: 0})) {
    if (++n >= decodeTokens) break;
}
const decodeMs = performance.now() - t;

/**
 * A decode step of k tokens at the end of the prompt, for k = 1, 2, 4, 8, 16 (medians of 3): a batch whose last token's
 * logits are read and a token sampled from them, as the decode stage's step is (the generated token, with k − 1 prompt
 * tokens recomputed beside it). On a GPU a few more tokens are expected to cost little; a CPU's matrix kernels do not
 * grow evenly with the batch.
 */
async function decodeBatchMs(): Promise<Record<string, number>> {
    await sequence.clearHistory();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, Math.min(promptTokens, 128)));
    const out: Record<string, number> = {};
    for (const k of [1, 2, 4, 8, 16].filter((k) => k <= promptTokens)) {
        const runs: number[] = [];
        for (let i = 0; i < 3; i++) {
            const end = sequence.nextTokenIndex;
            const started = performance.now();
            for await (const _token of sequence.evaluate(prompt.slice(0, k), {temperature: 0})) break;
            runs.push(performance.now() - started);
            await sequence.eraseContextTokenRanges([{start: end, end: sequence.nextTokenIndex}]);
        }
        out[k] = runs.sort((a, b) => a - b)[1]!;
    }
    return out;
}
const batches = await decodeBatchMs();
await context.dispose();

/**
 * A patched build: a decode right after the prompt's cells moved as a donor edit moves them (parked, then put at
 * their new positions; llama.cpp re-rotates them before the decode), against a decode after nothing moved, in a
 * context of the app's shape (4 sequences × 2048 cells, one unified KV).
 */
async function movedCellsDecodeMs(): Promise<{moved: number; still: number} | undefined> {
    if (!build.patched) return undefined;
    const editing = await createKvEditingContext(model, {sequences: 4, contextSize: 2048, threads: Number(threadsArg)});
    const seq = editing.getSequence();
    const addon = addonOf(editing);
    const id = sequenceIdOf(seq);
    await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, Math.min(promptTokens, 256)));
    const decodeOne = async (): Promise<number> => {
        const started = performance.now();
        await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, 1));
        return performance.now() - started;
    };
    const still: number[] = [];
    const moved: number[] = [];
    for (let i = 0; i < 3; i++) {
        still.push(await decodeOne());
        await seq.eraseContextTokenRanges([{start: 0, end: 1}]);
        addon.shiftSequenceTokenCells(id, 0, -1, PARKING_OFFSET);
        addon.shiftSequenceTokenCells(id, PARKING_OFFSET, -1, -PARKING_OFFSET);
        moved.push(await decodeOne());
    }
    await editing.dispose();
    const median = (values: number[]) => values.sort((a, b) => a - b)[1]!;
    return {moved: median(moved), still: median(still)};
}
/**
 * A patched build: a deviation probe (the prompt through layers 0…1 only, in a scratch sequence; its graph callback
 * stops llama.cpp after layer 1) against a prefill of the same tokens, medians of 3. On a GPU the callback ends
 * only the graph split it stops in: this says what a probe costs there, against (layer + 1) / n_layer.
 */
async function probeCost(): Promise<{probeMs: number; prefillMs: number; tokens: number; layer: number; layers: number} | undefined> {
    const layers = modelLayerCount(model);
    if (!build.patched || layers == null) return undefined;
    const layer = Math.min(1, layers - 1);
    const editing = await createKvEditingContext(model, {sequences: 2, contextSize: 2048, threads: Number(threadsArg)});
    const target = editing.getSequence();
    const scratch = editing.getSequence();
    const tokens = prompt.slice(0, Math.min(promptTokens, 256));
    await probeLayer(editing, scratch, tokens.slice(0, 8), layer); // warm-up
    const probes: number[] = [];
    const prefills: number[] = [];
    for (let i = 0; i < 3; i++) {
        probes.push((await probeLayer(editing, scratch, tokens, layer)).ms);
        await target.clearHistory();
        const started = performance.now();
        await target.evaluateWithoutGeneratingNewTokens(tokens);
        prefills.push(performance.now() - started);
    }
    await editing.dispose();
    const median = (values: number[]) => values.sort((a, b) => a - b)[1]!;
    return {probeMs: median(probes), prefillMs: median(prefills), tokens: tokens.length, layer, layers};
}
const movedCells = await movedCellsDecodeMs();
const probe = await probeCost();
console.log(
    JSON.stringify({
        build: {backend: build.backend, patched: build.patched, devices: build.devices},
        prefillTokensPerS: (promptTokens - 1) / (prefillMs / 1000),
        decodeTokensPerS: n / (decodeMs / 1000),
        ...(movedCells == null ? {} : {movedCellsDecodeMs: movedCells.moved, decodeMs: movedCells.still}),
        ...(probe == null ? {} : {probe}),
        decodeBatchMs: batches
    })
);
await model.dispose();
await llama.dispose();
