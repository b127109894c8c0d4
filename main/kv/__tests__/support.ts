/**
 * Shared fixtures for the KV layer tests (not a test file itself).
 * Loads node-llama-cpp the way the app does (main/runtime/nativeBuild.ts, on the backend of
 * KVSHARE_TEST_BACKEND) and reports whether the KVShare-patched binary is the one loaded.
 */
import path from "node:path";
import {fileURLToPath} from "node:url";
import {LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token} from "node-llama-cpp";
import {loadLlama, type LoadedBuild} from "../../runtime/nativeBuild.js";
import {testGpuSetting} from "../../../test/support/backend.js";
import {createKvEditingContext} from "../createKvEditingContext.js";
import {buildSnapshotHeader, captureForSnapshot, writeSnapshot, type KvSnapshot} from "../snapshot.js";
import type {SnapshotHeader} from "../snapshotFormat.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const MODELS_DIR = path.resolve(here, "../../../../shared/models");
export const STORIES_260K = path.join(MODELS_DIR, "stories260K.gguf");
export const TINYSTORIES_656K = path.join(MODELS_DIR, "TinyStories-656K-Q8_0.gguf");

let loaded: Promise<{llama: Llama; build: LoadedBuild}> | undefined;
/**
 * One Llama instance per test process: the KVShare-patched build of KVSHARE_TEST_BACKEND (default CPU),
 * chosen like the app chooses (main/runtime/nativeBuild.ts). KVSHARE_TEST_STOCK_BINARY=1 loads the stock
 * prebuilt binary of that backend instead, to exercise the fallback paths without moving files around.
 */
export function testBuild(): Promise<{llama: Llama; build: LoadedBuild}> {
    loaded ??= loadLlama({
        gpu: testGpuSetting,
        gpuFallback: "patched-cpu",
        maxThreads: 1,
        logLevel: LlamaLogLevel.error,
        forceStock: process.env.KVSHARE_TEST_STOCK_BINARY === "1"
    });
    return loaded;
}

export async function testLlama(): Promise<Llama> {
    return (await testBuild()).llama;
}

/** stories260K in a KV-editing context of 512 tokens and `sequences` sequences, 1 thread (dispose both after). */
export async function openStoriesContext(sequences: number): Promise<{model: LlamaModel; context: LlamaContext}> {
    const model = await (await testLlama()).loadModel({modelPath: STORIES_260K});
    return {model, context: await createKvEditingContext(model, {contextSize: 512, sequences, threads: 1})};
}

/** True when the loaded binary carries the KVShare patch (checked on the native class, no context needed). */
export async function patchedBinaryLoaded(): Promise<{patched: boolean; reason: string}> {
    const {llama, build} = await testBuild();
    return {
        patched: build.patched,
        reason: build.patched
            ? "KVShare-patched binary loaded"
            : `stock node-llama-cpp binary loaded (${llama.buildType}, ${build.backend}); run \`npm run build:native\` to build the patched one`
    };
}

/** Greedy continuation of `tokens` on `sequence` (which must already hold the preceding KV). */
export async function greedy(sequence: LlamaContextSequence, tokens: readonly Token[], count: number): Promise<Token[]> {
    const out: Token[] = [];
    if (count <= 0) return out;
    for await (const token of sequence.evaluate(tokens.slice(), {temperature: 0})) {
        out.push(token);
        if (out.length >= count) break;
    }
    return out;
}

/** Greedy continuation after a full prefill of `tokens` in a cleared `sequence`. */
export async function greedyFullPrefill(sequence: LlamaContextSequence, tokens: readonly Token[], count: number): Promise<Token[]> {
    await sequence.clearHistory();
    return greedy(sequence, tokens, count);
}

export const STORY_A =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. " +
    "One day, she saw a big red ball under a tree. She wanted to play with it, but it was too high. " +
    'Lily asked her mom for help. Her mom smiled and said, "Let us try together." They found a long stick and pushed the ball. ' +
    "The ball fell down and Lily was very happy. She said thank you to her mom and they played all day.";

export const INSERT_TEXT = " The sun was warm and the birds sang in the sky.";

/**
 * The KV of `sequence` as a verified in-memory snapshot — a donor the way the app holds one in its memory
 * tier (captured, header built, no file). The sequence is not changed.
 */
export async function snapshotOf(sequence: LlamaContextSequence, modelFingerprint = "test"): Promise<KvSnapshot> {
    const captured = await captureForSnapshot(sequence);
    const header = buildSnapshotHeader({captured, modelFingerprint});
    return {header, tokens: header.tokens, payload: captured.payload};
}

/** Save the KV of `sequence` to `filePath` as a verified snapshot file (capture + write, as the app does). */
export async function saveSnapshot(options: {
    readonly sequence: LlamaContextSequence;
    readonly filePath: string;
    readonly modelFingerprint: string;
}): Promise<SnapshotHeader> {
    return writeSnapshot({...options, captured: await captureForSnapshot(options.sequence)});
}
