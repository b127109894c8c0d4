/**
 * LlamaEmbedder plumbing with the real tiny model. stories260K's vectors are not semantic (see the
 * models README), so this checks shape, normalisation, determinism and long-input handling only;
 * retrieval quality is tested with the lexical embedder.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, type LlamaModel} from "node-llama-cpp";
import {dot, LlamaEmbedder} from "./index.js";
import {STORIES_260K, tinyStoriesText} from "../../../test/support/testData.js";

describe("LlamaEmbedder (stories260K)", () => {
    let model: LlamaModel;
    let embedder: LlamaEmbedder;

    beforeAll(async () => {
        // build: "never" — tests must not start a native build; 1 thread — tiny model, 2-core machine.
        const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
        model = await llama.loadModel({modelPath: STORIES_260K});
        embedder = await LlamaEmbedder.create(model, {threads: 1, contextSize: 256, id: "llama:stories260K-test"});
    }, 120_000);

    afterAll(async () => {
        await embedder?.dispose();
        await model?.dispose();
    });

    it("reports the model's embedding size", () => {
        expect(embedder.dimensions).toBe(64);
        expect(embedder.id).toBe("llama:stories260K-test");
    });

    it("returns one normalised 64-d vector per text, deterministically", async () => {
        const texts = ["The cat sat on the mat.", "Once upon a time there was a dog.", "The cat sat on the mat."];
        const a = await embedder.embed(texts);
        const b = await embedder.embed(texts);
        expect(a).toHaveLength(3);
        for (const v of a) {
            expect(v).toBeInstanceOf(Float32Array);
            expect(v).toHaveLength(64);
            expect(dot(v, v)).toBeCloseTo(1, 4);
        }
        for (let i = 0; i < 3; i++) expect(Array.from(b[i] as Float32Array)).toEqual(Array.from(a[i] as Float32Array));
        // Same text in one batch: same vector (no state leaks between texts).
        expect(dot(a[0] as Float32Array, a[2] as Float32Array)).toBeCloseTo(1, 5);
    });

    it("shortens texts longer than the context instead of failing", async () => {
        const long = tinyStoriesText().slice(0, 20_000);
        expect(model.tokenize(long).length).toBeGreaterThan(embedder.maxInputTokens);
        const [v] = await embedder.embed([long]);
        expect(v).toHaveLength(64);
        expect(dot(v as Float32Array, v as Float32Array)).toBeCloseTo(1, 4);
    });

    it("returns a zero vector for empty text", async () => {
        const [v] = await embedder.embed([""]);
        expect(Array.from(v as Float32Array).every((x) => x === 0)).toBe(true);
    });
});
