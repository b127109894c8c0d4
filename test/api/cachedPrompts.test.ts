/**
 * The admin's list of cached prompts over real HTTP on the tiny model: where one confidential prompt is found
 * (by scope, by a piece of its text) and deleted without clearing everyone's cache.
 */
import fs from "node:fs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {CachedPromptPage} from "../../shared/admin.js";
import type {Completion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

const marked = "You are the clinic's helpful assistant. Answer briefly and kindly, in plain words, for patients and staff.";
let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {sharing: {scopePolicy: "user", sharedPrefixes: [marked]}}});
});
afterAll(async () => {
    await server.close();
});

const secret = "Patient Dee Moss tested positive for the rare fever on Monday";
async function complete(prompt: string, user: string) {
    const res = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 4, temperature: 0, user}});
    expect(res.status).toBe(200);
    await server.core.requirePipeline().settled();
    return ((await res.json()) as Completion).x_kvshare!;
}
const list = async (query: string) => {
    const res = await server.api(`/kvshare/cache/entries${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as CachedPromptPage;
};

describe("cached prompts, one at a time", () => {
    it("lists them by scope and text with who sent them, and deletes one leaving no trace of it", async () => {
        await complete(`Once upon a time. ${secret}. Write a short note.`, "nurse-a");
        await complete("Once upon a time there was a cat who liked the garden.", "nurse-b");

        const all = await list("");
        expect(all.total).toBeGreaterThanOrEqual(3);
        const found = await list(`?text=${encodeURIComponent("tested POSITIVE")}`);
        expect(found.total).toBe(1);
        const entry = found.entries[0]!;
        expect(entry).toMatchObject({scope: "user:nurse-a", sender: "nurse-a", currentModel: true});
        expect(entry.preview).toContain(secret);
        expect((await list("?scope=user:nurse-b")).entries.map((e) => e.sender)).toEqual(["nurse-b"]);
        // The marked shared prefix is listed, without a sender, and cannot be deleted here (the settings mark it).
        const prefix = (await list("?scope=shared")).entries[0]!;
        expect(prefix.sender).toBeUndefined();
        const refused = await server.api(`/kvshare/cache/entries/${prefix.id}`, {method: "DELETE"});
        expect(refused.status).toBe(409);
        expect(((await refused.json()) as {error: {code: string}}).error.code).toBe("shared_prefix");

        const res = await server.api(`/kvshare/cache/entries/${entry.id}`, {method: "DELETE"});
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({deleted: true});
        expect((await list(`?text=${encodeURIComponent("tested positive")}`)).total).toBe(0);
        expect((await list("?scope=user:nurse-b")).total).toBe(1);
        for (const file of ["kvshare-cache.db", "kvshare-cache.db-wal"]) {
            const path = `${server.dataDir}/cache/${file}`;
            expect(fs.existsSync(path) ? fs.readFileSync(path).includes("rare fever") : false, file).toBe(false);
        }
        // Nor is it in a sequence: asked again word for word, nothing of it is reused.
        const again = await complete(`Once upon a time. ${secret}. Write a short note.`, "nurse-a");
        expect(again.reused_tokens).toBe(0);
        expect((await server.api(`/kvshare/cache/entries/${entry.id}`, {method: "DELETE"})).status).toBe(404);
    });

    it("pages through them and refuses what is not a page or an id", async () => {
        const page = await list("?limit=1&offset=1");
        expect(page.entries).toHaveLength(1);
        expect(page.total).toBeGreaterThan(1);
        for (const [path, method] of [
            ["/kvshare/cache/entries?limit=0", "GET"],
            ["/kvshare/cache/entries?limit=201", "GET"],
            ["/kvshare/cache/entries/abc", "DELETE"]
        ] as const) {
            const res = await server.api(path, {method});
            expect(res.status, path).toBe(400);
        }
        // Issued keys use the OpenAI routes only.
        const {key} = server.core.keys.create("cache-browser");
        const other = await fetch(`${server.url}/kvshare/cache/entries`, {headers: {authorization: `Bearer ${key}`}});
        expect(other.status).toBe(403);
    });
});
