/**
 * Child process of bench/backend/run.ts: loads one llama.cpp build (argv: backend, "patched"|"stock",
 * model file) through main/runtime/nativeBuild.ts and prints prefill and decode speed as one JSON line.
 */
import {LlamaLogLevel, type Token} from "node-llama-cpp";
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
console.log(
    JSON.stringify({
        build: {backend: build.backend, patched: build.patched, devices: build.devices},
        prefillTokensPerS: (promptTokens - 1) / (prefillMs / 1000),
        decodeTokensPerS: n / (decodeMs / 1000)
    })
);
await context.dispose();
await model.dispose();
await llama.dispose();
