import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Completion} from "../../shared/openai.js";
import {otherModelPath, startTestServer, type TestServer} from "../support/testServer.js";
import {completeAndSettle} from "../support/complete.js";

const lily =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball. One day, she saw a big dog near the tree.";
const tom = lily.replace("a little girl named Lily. She", "a little boy named Tom. He").replace("her red ball", "his red ball");
const unrelated = "The stock market fell sharply today as investors worried about interest rates and inflation reports.";

const complete = completeAndSettle;

let server: TestServer;
let dataDir: string;
beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-sharing-"));
    // Per-user scopes keep each test's cache entries apart.
    server = await startTestServer({dataDir, overrides: {sharing: {scopePolicy: "user"}}});
    expect(server.core.requirePipeline().runtime.scratch, "these tests need the patched binary (npm run build:native)").toBeDefined();
});
afterAll(async () => {
    await server.close();
});

describe("semantic KV sharing on the request path", () => {
    it("reuses most of an earlier story's KV for the same story with a swapped name", async () => {
        const first = await complete(server, lily, "u1");
        expect(first.mode).not.toBe("semantic");
        // Said as it is: no threshold to lower, nothing of this scope's to compare with yet.
        expect(first.note).toMatch(/nothing cached in this scope/);
        const second = await complete(server, tom, "u1");
        expect(second.mode).toBe("semantic");
        expect(second.donor?.prompt).toBe(lily);
        expect(second.reused_tokens / second.prompt_tokens).toBeGreaterThan(0.6);
        expect(second.reused_tokens + second.computed_tokens).toBe(second.prompt_tokens);
        expect(second.segments?.some((s) => s.label === "new")).toBe(true);
    });

    it("offers a prompt's KV to the very next request, before its snapshot file is written", async () => {
        const ask = async (prompt: string) => {
            const res = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 8, temperature: 0, user: "u-back-to-back"}});
            expect(res.status).toBe(200);
            return ((await res.json()) as Completion).x_kvshare!;
        };
        // No wait for the cache write between the two: the second is sent the moment the first answers.
        await ask(lily);
        const second = await ask(tom);
        expect(second.mode).toBe("semantic");
        expect(second.donor?.prompt).toBe(lily);
        expect(second.reused_tokens / second.prompt_tokens).toBeGreaterThan(0.6);
        // And once written, the donor is read back from its file like any other.
        await server.core.requirePipeline().settled();
        server.core.cache!.dropMemoryTier();
        const third = await ask(tom.replace("Tom", "Sam"));
        expect(third.mode).toBe("semantic");
        expect(third.donor?.tier).toBe("disk");
    });

    it("shares between prompts of emoji alone, and between a question with and without its vowel marks", async () => {
        await complete(server, "🍔 ❓ 🍕🍕🍕🍕🍕🍕 🚗🚗🚗", "u-emoji");
        const emoji = await complete(server, "🌭 ❓ 🍕🍕🍕🍕🍕🍕 🚗🚗🚗", "u-emoji");
        expect(emoji.mode).toBe("semantic");
        expect(emoji.reused_tokens / emoji.prompt_tokens).toBeGreaterThan(0.5);
        await complete(server, "مَا عَاصِمَةُ فَرَنْسَا؟ وَمَا أَكْبَرُ مَدِينَةٍ فِيهَا؟", "u-arabic");
        const arabic = await complete(server, "ما عاصمة فرنسا؟ وما أكبر مدينة فيها؟", "u-arabic");
        expect(arabic.mode).toBe("semantic");
        expect(arabic.reused_tokens).toBeGreaterThan(0);
    });

    it("gives an unrelated prompt nothing", async () => {
        await complete(server, lily, "u2");
        const record = await complete(server, unrelated, "u2");
        expect(record.mode).not.toBe("semantic");
        expect(record.donor).toBeUndefined();
        expect(record.reused_tokens).toBeLessThanOrEqual(1);
    });

    it("turns the hit into a miss when the threshold is raised above the pair's similarity", async () => {
        await complete(server, lily, "u3-probe");
        const probe = await complete(server, tom, "u3-probe");
        const similarity = probe.donor!.similarity;
        expect(similarity).toBeLessThan(0.99);

        await complete(server, lily, "u3");
        const saved = server.core.settings.sharing.similarityThreshold;
        server.core.settings.sharing.similarityThreshold = similarity + 0.01;
        try {
            const record = await complete(server, tom, "u3");
            expect(record.mode).not.toBe("semantic");
            expect(record.donor).toBeUndefined();
            expect(record.note).toMatch(/threshold/);
        } finally {
            server.core.settings.sharing.similarityThreshold = saved;
        }
    });

    it("with exact prefix reuse off, a prompt asked again is served from its cached copy, not computed afresh", async () => {
        server.core.settings.sharing.prefixReuse = false;
        try {
            await complete(server, lily, "u-noprefix");
            // The sequence still holds this very prompt: with prefix reuse off it is not kept, so the donor is what reuses it.
            const again = await complete(server, lily, "u-noprefix");
            expect(again.mode).toBe("semantic");
            expect(again.reused_tokens).toBeGreaterThan(again.prompt_tokens / 2);
        } finally {
            server.core.settings.sharing.prefixReuse = true;
        }
    });

    it("keeps the index and the snapshots across a restart", async () => {
        await complete(server, lily, "u4");
        await server.close();
        const snapshots = fs.readdirSync(path.join(dataDir, "cache", "snapshots"));
        expect(snapshots.length).toBeGreaterThan(0);
        server = await startTestServer({dataDir, overrides: {sharing: {scopePolicy: "user"}}});
        const record = await complete(server, tom, "u4");
        expect(record.mode).toBe("semantic");
        expect(record.donor?.prompt).toBe(lily);
    });

    it("never uses a donor of another model", async () => {
        // Same data folder (same index and snapshots) as the stories260K server, another model.
        await server.close();
        const foreign = await startTestServer({dataDir, modelPath: otherModelPath, overrides: {sharing: {scopePolicy: "user"}}});
        try {
            const record = await complete(foreign, tom, "u1");
            expect(record.mode).not.toBe("semantic");
            expect(record.donor).toBeUndefined();
            const again = await complete(foreign, tom.replace("Tom", "Sam"), "u1");
            // Its own entry from the line above is a valid donor: sharing works for this model too.
            expect(again.donor?.prompt).toBe(tom);
        } finally {
            await foreign.close();
            server = await startTestServer({dataDir, overrides: {sharing: {scopePolicy: "user"}}});
        }
    });

    it("serves a fresh donor from the memory tier, and from disk when the tier is empty", async () => {
        await complete(server, lily, "u6");
        const hot = await complete(server, tom, "u6");
        expect(hot.donor?.tier).toBe("memory");
        server.core.cache!.dropMemoryTier();
        const cold = await complete(server, tom.replace("Tom", "Sam"), "u6");
        expect(cold.mode).toBe("semantic");
        expect(cold.donor?.tier).toBe("disk");
    });

    it("keeps the memory tier within its byte budget", async () => {
        const saved = server.core.settings.sharing.maxMemoryBytes;
        server.core.settings.sharing.maxMemoryBytes = 0;
        try {
            await complete(server, lily, "u7");
            const record = await complete(server, tom, "u7");
            expect(record.donor?.tier).toBe("disk");
            expect(server.core.cache!.memoryBytes).toBe(0);
        } finally {
            server.core.settings.sharing.maxMemoryBytes = saved;
        }
    });

    it("empties the memory tier as soon as the admin lowers its budget, not at the next donor stored", async () => {
        const saved = server.core.settings.sharing.maxMemoryBytes;
        await complete(server, lily, "u8");
        expect(server.core.cache!.memoryBytes).toBeGreaterThan(0);
        try {
            const res = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {maxMemoryBytes: 0}}});
            expect(res.status).toBe(200);
            expect(server.core.cache!.memoryBytes).toBe(0);
            expect((await complete(server, tom, "u8")).donor?.tier).toBe("disk");
        } finally {
            await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {maxMemoryBytes: saved}}});
        }
    });

    it("puts token pieces in the hit record when asked (the UI's alignment view)", async () => {
        await complete(server, lily, "u5");
        const res = await server.api("/v1/completions", {
            method: "POST",
            json: {prompt: tom, max_tokens: 4, temperature: 0, user: "u5", x_kvshare_detail: true}
        });
        const record = ((await res.json()) as Completion).x_kvshare!;
        expect(record.prompt_pieces?.length).toBe(record.prompt_tokens);
        // Pieces carry their own spacing, so they join back into the prompt's text.
        expect(record.prompt_pieces!.join("")).toContain(tom.slice(1));
        expect(record.donor_pieces!.join("")).toContain("Lily");
    });
});
