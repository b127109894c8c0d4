/**
 * The sharing modules composed as the request path uses them: the engine's admission (embed →
 * retrieve → align → rank candidates by reusable tokens, threshold eligibility) picks the donor, then
 * the recompute policy plans its reuse. Real stories260K tokenizer, real SQLite + sqlite-vec, real
 * TinyStories text. No KV is touched here (that is main/kv's job): admission never reads the context.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, type LlamaContext, type LlamaModel} from "node-llama-cpp";
import {silentLogger} from "../common/log.js";
import {defaultSharingSettings, type SharingSettings} from "../../shared/settings.js";
import {DonorCache} from "./cache/DonorCache.js";
import {SharingEngine} from "./engine/SharingEngine.js";
import {CacheStore, LexicalEmbedder, selectRecompute, summariseReuse} from "./index.js";
import {STORIES_260K, tinyStories} from "../../test/support/testData.js";

describe("sharing pipeline (stories260K tokenizer, sqlite-vec)", () => {
    let model: LlamaModel;
    let context: LlamaContext;
    let dir: string | undefined;
    let cache: DonorCache;
    let wardDonors: {story: string; ward: string; ids: number[]};
    let engine: SharingEngine;
    const embedder = new LexicalEmbedder();
    const MODEL = "sha256:stories260K";
    const stories = tinyStories()
        .filter((s) => /named Lily/.test(s))
        .slice(0, 3)
        .concat(
            tinyStories()
                .filter((s) => !/Lily/.test(s))
                .slice(0, 40)
        );
    /** The engine reads its settings per request, as the server's live settings: tests move the threshold. */
    let settings: SharingSettings = {...defaultSharingSettings};

    beforeAll(async () => {
        const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
        model = await llama.loadModel({modelPath: STORIES_260K});
        context = await model.createContext({contextSize: 256, sequences: 1, threads: 1});
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-pipeline-"));
        dir = cacheDir;
        // The index rows only (admission never reads a donor's KV), then the donor cache over them.
        const store = CacheStore.open({cacheDir, embedder});
        const vectors = await embedder.embed(stories);
        stories.forEach((text, i) => {
            const file = `snapshots/${i}.kvsnap`;
            fs.writeFileSync(path.join(cacheDir, file), "kv");
            store.insert({modelFingerprint: MODEL, scope: "global", promptText: text, tokens: model.tokenize(text), snapshotFile: file, bytes: 2}, vectors[i]!);
        });
        // Two donors of one ward for a story: its sentences reversed (the same words, so the more similar,
        // but in another order, so little of it aligns), and its first sentences followed by another story
        // (less similar, but a long run of the prompt in order).
        const story = stories.slice(3).find((s) => s.split(/(?<=[.!?])\s+/).length >= 6)!;
        const sentences = story.split(/(?<=[.!?])\s+/);
        const reversed = [...sentences].reverse().join(" ");
        const head = sentences.slice(0, Math.ceil(sentences.length * 0.6)).join(" ") + " " + stories.at(-1)!;
        const ward = "group:ward-1";
        const wardVectors = await embedder.embed([reversed, head]);
        const ids = [reversed, head].map((text, i) => {
            const file = `snapshots/ward-${i}.kvsnap`;
            fs.writeFileSync(path.join(cacheDir, file), "kv");
            return store.insert(
                {modelFingerprint: MODEL, scope: ward, promptText: text, tokens: model.tokenize(text), snapshotFile: file, bytes: 2},
                wardVectors[i]!
            ).id;
        });
        wardDonors = {story, ward, ids};
        store.close();
        cache = DonorCache.open({
            cacheDir,
            embedder,
            modelFingerprint: MODEL,
            context,
            log: silentLogger,
            budgets: () => settings,
            sharedPrefixSettings: () => ({texts: [], minRunLength: settings.minRunLength}),
            sharedPrefixForms: (text) => [model.tokenize(text)]
        });
        engine = new SharingEngine({
            context,
            kvEditing: false,
            cache,
            embedder,
            settings: () => settings,
            detokenize: (tokens, lastTokens) => model.detokenize(tokens, false, lastTokens),
            log: silentLogger
        });
    }, 120_000);

    afterAll(async () => {
        cache?.close();
        await context?.dispose();
        await model?.dispose();
        if (dir !== undefined) fs.rmSync(dir, {recursive: true, force: true});
    });

    /** The engine's admission for a prompt of the global scope at a similarity threshold. */
    async function assess(prompt: string, similarityThreshold: number) {
        settings = {...defaultSharingSettings, similarityThreshold};
        const tokens = model.tokenize(prompt);
        const assessment = await engine.admit({tokens, text: prompt, scope: "global", detail: false, revealDonor: false});
        return {tokens, assessment, best: assessment.best};
    }

    it("a story with a swapped name reuses most of its tokens from the earlier one", async () => {
        const original = stories[0]!;
        const swapped = original.replaceAll("Lily", "Mia");
        const {tokens: target, assessment, best} = await assess(swapped, 0.5);
        expect(best?.entry.promptText).toBe(original);
        expect(best!.exact).toBe(false);
        expect(best!.similarity).toBeGreaterThan(0.7);
        expect(best!.alignment.reusedTokens / target.length).toBeGreaterThan(0.8);
        expect(assessment.expectedReuse).toBe(best!.alignment.reusedTokens / target.length);
        // The ranking is by reusable tokens: no candidate the engine retrieved would reuse more.
        const mostReusable = Math.max(...assessment.candidates.map(([, reusable]) => reusable));
        expect(best!.alignment.reusedTokens).toBe(mostReusable);

        const plan = selectRecompute(best!.alignment.runs, target.length);
        const summary = summariseReuse(best!.alignment.runs, target.length, plan.ranges);
        expect(summary.counts.reused).toBeGreaterThan(0.65 * target.length);
        expect(summary.counts.recomputed).toBeLessThanOrEqual(plan.budget + 1);
        expect(summary.labels.at(-1)).not.toBe("reused");
    });

    it("ranks eligible donors by the tokens they let the prompt reuse, not by similarity", async () => {
        const {story, ward, ids} = wardDonors;
        settings = {...defaultSharingSettings, similarityThreshold: 0.3};
        const tokens = model.tokenize(story);
        const assessment = await engine.admit({tokens, text: story, scope: ward, detail: false, revealDonor: false});
        expect(assessment.foundCount).toBe(2);
        const best = assessment.best!;
        expect(best.entry.id).toBe(ids[1]);
        // The reversed story was the more similar candidate, and the less useful one.
        const [mostSimilar] = assessment.candidates;
        expect(mostSimilar![0]).toBeGreaterThan(best.similarity);
        expect(mostSimilar![1]).toBeLessThan(best.alignment.reusedTokens);
    });

    it("an unrelated prompt gets no donor above the threshold, and would reuse (almost) nothing anyway", async () => {
        const unrelated = "The quarterly report shows that revenue from cloud services grew by twelve percent.";
        const {tokens, assessment, best} = await assess(unrelated, 0.5);
        expect(best).toBeUndefined();
        expect(assessment.expectedReuse).toBe(0);
        // Every retrieved candidate, eligible or not: the best of them would still reuse little.
        const mostReusable = Math.max(0, ...assessment.candidates.map(([, reusable]) => reusable));
        expect(mostReusable / tokens.length).toBeLessThan(0.2);
    });

    it("raising the threshold above the pair's similarity turns the hit into a miss", async () => {
        const swapped = stories[1]!.replaceAll("Lily", "Sue");
        const hit = (await assess(swapped, 0.5)).best;
        expect(hit?.entry.promptText).toBe(stories[1]);
        expect((await assess(swapped, hit!.similarity + 0.001)).best).toBeUndefined();
        expect((await assess(swapped, hit!.similarity)).best?.entry.id).toBe(hit!.entry.id);
    });

    it("an identical prompt is an exact hit, even at the highest threshold", async () => {
        const {tokens, best} = await assess(stories[2]!, 1);
        expect(best?.entry.promptText).toBe(stories[2]);
        expect(best!.exact).toBe(true);
        expect(best!.similarity).toBe(1);
        expect(best!.alignment.reusedTokens).toBe(tokens.length);
    });
});
