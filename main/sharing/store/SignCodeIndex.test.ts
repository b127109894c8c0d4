import {describe, expect, it} from "vitest";
import {SignCodeIndex} from "./SignCodeIndex.js";
import {dot, LexicalEmbedder} from "../embed/index.js";
import {tinyStories} from "../../../test/support/testData.js";

describe("SignCodeIndex", () => {
    const embedder = new LexicalEmbedder();
    // 1,200 real prompts: more than the first round keeps (8 × 8 × 8 = 512), so both rounds run.
    const stories = tinyStories().slice(0, 1200);
    const vectors = stories.map((story) => embedder.embedOne(story));

    const filled = () => {
        const index = new SignCodeIndex(embedder.dimensions);
        vectors.forEach((vector, i) => index.set(i + 1, i % 3 === 0 ? "user:alice" : "global", vector));
        return index;
    };

    it("finds the prompt a paraphrase came from among a thousand, with its exact cosine, in the asker's scopes only", () => {
        const index = filled();
        expect(index.count).toBe(stories.length);
        for (let i = 0; i < stories.length; i += 97) {
            const query = embedder.embedOne((stories[i] as string).replace(/\b(\w+)\b/, "Zed"));
            const scopes = i % 3 === 0 ? ["user:alice"] : ["global", "shared"];
            const hits = index.search(scopes, query, 8, 64);
            expect(hits).toHaveLength(8);
            expect(hits[0]?.id).toBe(i + 1);
            for (const [j, hit] of hits.entries()) {
                expect(hit.similarity).toBeCloseTo(dot(vectors[hit.id - 1]!, query), 5);
                expect((hit.id - 1) % 3 === 0).toBe(i % 3 === 0);
                if (j > 0) expect(hit.similarity).toBeLessThanOrEqual(hits[j - 1]!.similarity);
            }
        }
        expect(index.search(["user:bob"], vectors[1]!, 8, 64)).toEqual([]);
    });

    it("keeps every other entry findable after removals, and replaces a vector in place", () => {
        const index = filled();
        for (let id = 2; id <= stories.length; id += 2) index.delete(id);
        index.delete(99_999); // unknown: nothing happens
        expect(index.count).toBe(stories.length / 2);
        for (let i = 0; i < stories.length; i += 41) {
            const hits = index.search(["global", "user:alice"], vectors[i]!, 1, 8);
            expect(hits[0]?.id === i + 1).toBe(i % 2 === 0);
            if (i % 2 === 0) expect(hits[0]?.similarity).toBeCloseTo(1, 6);
        }
        index.set(1, "global", vectors[4]!);
        expect(index.count).toBe(stories.length / 2);
        expect(index.search(["global"], vectors[4]!, 2, 8).map((hit) => hit.id)).toEqual(expect.arrayContaining([1, 5]));
    });

    it("never returns a zero vector, stored or asked", () => {
        const index = new SignCodeIndex(16);
        index.set(1, "global", new Float32Array(16));
        index.set(
            2,
            "global",
            Float32Array.from({length: 16}, (_, i) => (i % 2 === 0 ? 1 : -1))
        );
        expect(index.search(["global"], new Float32Array(16), 5, 5)).toEqual([]);
        expect(
            index
                .search(
                    ["global"],
                    Float32Array.from({length: 16}, () => 1),
                    5,
                    5
                )
                .map((hit) => hit.id)
        ).toEqual([2]);
        expect(() => index.set(3, "global", new Float32Array(8))).toThrow(RangeError);
    });
});
