/**
 * The sharing modules composed as the request path will use them (embed → retrieve → align →
 * recompute policy), with the real stories260K tokenizer, real SQLite + sqlite-vec and real
 * TinyStories text. No KV is touched here (that is main/kv's job).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLlama, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { alignTokens, CacheStore, hashTokens, LexicalEmbedder, selectRecompute, summariseReuse, type CacheEntry } from "./index.js";
import { STORIES_260K, tinyStories } from "../../test/support/testData.js";

describe("sharing pipeline (stories260K tokenizer, sqlite-vec)", () => {
  let model: LlamaModel;
  let dir: string | undefined;
  let store: CacheStore;
  const embedder = new LexicalEmbedder();
  const MODEL = "sha256:stories260K";
  const stories = tinyStories().filter((s) => /named Lily/.test(s)).slice(0, 3)
    .concat(tinyStories().filter((s) => !/Lily/.test(s)).slice(0, 40));

  beforeAll(async () => {
    // Only the tokenizer is needed: a vocab-only load is instant and holds no weights.
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    model = await llama.loadModel({ modelPath: STORIES_260K, vocabOnly: true });
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-pipeline-"));
    dir = cacheDir;
    store = CacheStore.open({ cacheDir, embedder });
    const vectors = await embedder.embed(stories);
    stories.forEach((text, i) => {
      const file = `snapshots/${i}.kvsnap`;
      fs.writeFileSync(path.join(cacheDir, file), "kv");
      store.insert({ modelFingerprint: MODEL, scope: "global", promptText: text, tokens: model.tokenize(text), snapshotFile: file, bytes: 2 }, vectors[i]!);
    });
  }, 120_000);

  afterAll(async () => {
    store?.close();
    await model?.dispose();
    if (dir !== undefined)
      fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Retrieve candidates and pick the donor with the most reusable tokens (KVShare v2 re-ranking). */
  async function bestDonor(prompt: string, minSimilarity: number): Promise<{ donor?: CacheEntry; reused: number; similarity: number }> {
    const tokens = model.tokenize(prompt);
    const exact = store.findExact(MODEL, ["global"], hashTokens(tokens));
    if (exact !== undefined)
      return { donor: exact, reused: tokens.length, similarity: 1 };
    const [vector] = await embedder.embed([prompt]);
    let best: { donor?: CacheEntry; reused: number; similarity: number } = { reused: 0, similarity: 0 };
    for (const { entry, similarity } of store.nearest(MODEL, ["global"], vector!, 10, minSimilarity)) {
      const reused = alignTokens(entry.tokens, tokens).reusedTokens;
      if (reused > best.reused)
        best = { donor: entry, reused, similarity };
    }
    return best;
  }

  it("a story with a swapped name reuses most of its tokens from the earlier one", async () => {
    const original = stories[0]!;
    const swapped = original.replaceAll("Lily", "Mia");
    const { donor, reused, similarity } = await bestDonor(swapped, 0.5);
    expect(donor?.promptText).toBe(original);
    expect(similarity).toBeGreaterThan(0.7);
    const target = model.tokenize(swapped);
    expect(reused / target.length).toBeGreaterThan(0.8);

    const alignment = alignTokens(donor!.tokens, target);
    const plan = selectRecompute(alignment.runs, target.length);
    const summary = summariseReuse(alignment.runs, target.length, plan.ranges);
    expect(summary.counts.reused).toBeGreaterThan(0.65 * target.length);
    expect(summary.counts.recomputed).toBeLessThanOrEqual(plan.budget + 1);
    expect(summary.labels.at(-1)).not.toBe("reused");
  });

  it("an unrelated prompt gets no donor above the threshold, and would reuse (almost) nothing anyway", async () => {
    const unrelated = "The quarterly report shows that revenue from cloud services grew by twelve percent.";
    expect((await bestDonor(unrelated, 0.5)).donor).toBeUndefined();
    const anyDonor = await bestDonor(unrelated, -1);
    expect(anyDonor.reused / model.tokenize(unrelated).length).toBeLessThan(0.2);
  });

  it("raising the threshold above the pair's similarity turns the hit into a miss", async () => {
    const swapped = stories[1]!.replaceAll("Lily", "Sue");
    const hit = await bestDonor(swapped, 0.5);
    expect(hit.donor).toBeDefined();
    expect((await bestDonor(swapped, hit.similarity + 0.001)).donor).toBeUndefined();
  });

  it("an identical prompt is an exact hit", async () => {
    const { donor, similarity } = await bestDonor(stories[2]!, 0.99);
    expect(donor?.promptText).toBe(stories[2]);
    expect(similarity).toBe(1);
  });
});
