/**
 * Shared fixtures for the KV layer tests (not a test file itself).
 * Loads node-llama-cpp the way the app does (local build first, prebuilt otherwise) and reports
 * whether the KVShare-patched binary is the one loaded.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContextSequence, type Token } from "node-llama-cpp";

const here = path.dirname(fileURLToPath(import.meta.url));
export const MODELS_DIR = path.resolve(here, "../../../../shared/models");
export const STORIES_260K = path.join(MODELS_DIR, "stories260K.gguf");
export const TINYSTORIES_656K = path.join(MODELS_DIR, "TinyStories-656K-Q8_0.gguf");

let llamaPromise: Promise<Llama> | undefined;
/** One Llama instance per test process (CPU only, local build if present). */
export function testLlama(): Promise<Llama> {
  // KVSHARE_TEST_STOCK_BINARY=1 asks for a build folder that never exists locally, so node-llama-cpp
  // falls back to its stock prebuilt binary: exercises the fallback paths without moving files around.
  const forceStock = process.env.KVSHARE_TEST_STOCK_BINARY === "1";
  llamaPromise ??= getLlama({
    gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1,
    ...(forceStock ? { cmakeOptions: { KVSHARE_FORCE_STOCK_BINARY: "1" } } : {})
  });
  return llamaPromise;
}

/** True when the loaded binary carries the KVShare patch (checked on the native class, no context needed). */
export async function patchedBinaryLoaded(): Promise<{ patched: boolean; reason: string }> {
  const llama = await testLlama();
  const bindings = (llama as unknown as { _bindings: { AddonContext: { prototype: Record<string, unknown> } } })._bindings;
  const patched = typeof bindings.AddonContext.prototype.getKvSharePatchVersion === "function";
  return {
    patched,
    reason: patched
      ? "KVShare-patched binary loaded"
      : `stock node-llama-cpp binary loaded (${llama.buildType}); run \`npm run build:native\` to build the patched one`
  };
}

/** Greedy continuation of `tokens` on `sequence` (which must already hold the preceding KV). */
export async function greedy(sequence: LlamaContextSequence, tokens: readonly Token[], count: number): Promise<Token[]> {
  const out: Token[] = [];
  if (count <= 0)
    return out;
  for await (const token of sequence.evaluate(tokens.slice(), { temperature: 0 })) {
    out.push(token);
    if (out.length >= count)
      break;
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
  "Lily asked her mom for help. Her mom smiled and said, \"Let us try together.\" They found a long stick and pushed the ball. " +
  "The ball fell down and Lily was very happy. She said thank you to her mom and they played all day.";

export const INSERT_TEXT = " The sun was warm and the birds sang in the sky.";
