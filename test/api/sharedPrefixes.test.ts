import fs from "node:fs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatCompletion} from "../../shared/openai.js";
import {sharedScope} from "../../main/sharing/engine/scopes.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

const system =
    "You are the front desk assistant of the Riverside clinic. Answer kindly and briefly. " +
    "Never give a diagnosis. Tell people to call the nurse line for anything urgent, and to bring their card to every visit.";

let server: TestServer;
beforeAll(async () => {
    // Private scopes: people share nothing but what the admin marks as shared.
    server = await startTestServer({overrides: {sharing: {scopePolicy: "user", sharedPrefixes: [system]}}});
});
afterAll(async () => {
    await server.close();
});

async function ask(user: string, question: string) {
    const res = await server.api("/v1/chat/completions", {
        method: "POST",
        json: {
            messages: [
                {role: "system", content: system},
                {role: "user", content: question}
            ],
            max_tokens: 8,
            temperature: 0,
            user
        }
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatCompletion;
    await server.core.requirePipeline().settled();
    return body.x_kvshare;
}

describe("admin-marked shared prefixes", () => {
    it("give everyone the marked system prompt's KV, and nothing of anyone else's", async () => {
        const alice = await ask("alice", "When is the clinic open on Saturday?");
        expect(alice.scope).toBe("user:alice");
        expect(alice.mode).toBe("semantic");
        expect(alice.donor?.prompt).toBe(system);
        expect(alice.reused_tokens).toBeGreaterThan(alice.prompt_tokens / 2);

        const bob = await ask("bob", "Where do I park my car for the visit?");
        expect(bob.donor?.prompt).toBe(system);
        expect(bob.reused_tokens).toBeGreaterThan(bob.prompt_tokens / 2);
    });

    it("are candidates however dissimilar the whole prompt is", async () => {
        const saved = server.core.settings.sharing.similarityThreshold;
        server.core.settings.sharing.similarityThreshold = 0.99;
        try {
            const dave = await ask(
                "dave",
                "I lost my insurance card last week on the bus and the driver said someone may have handed it in; what should I do now?"
            );
            expect(dave.donor?.prompt).toBe(system);
            expect(dave.donor!.similarity).toBeLessThan(0.99);
        } finally {
            server.core.settings.sharing.similarityThreshold = saved;
        }
    });

    it("follow the admin's list: unmarking a text drops its entries", async () => {
        const store = server.core.cache!;
        const before = ((await (await server.api("/kvshare/settings")).json()) as {sharing: {sharedPrefixes: string[]}}).sharing.sharedPrefixes;
        expect(before).toEqual([system]);
        const res = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {sharedPrefixes: []}}});
        expect(res.status).toBe(200);
        // Deleted as a purge deletes: the index's write-ahead log is emptied (it held the rows' earlier versions).
        const wal = `${server.dataDir}/cache/kvshare-cache.db-wal`;
        expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
        const carol = await ask("carol", "Can I bring my child along?");
        expect(carol.donor?.prompt).not.toBe(system);
        const shared = [];
        for (let id = 1; id < 1000; id++) {
            const entry = store.get(id);
            if (entry?.scope === sharedScope) shared.push(entry);
        }
        expect(shared).toEqual([]);
    });

    it("refuse a malformed list", async () => {
        const res = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {sharedPrefixes: "not a list"}}});
        expect(res.status).toBe(400);
    });
});
