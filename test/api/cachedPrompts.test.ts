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

    it("pages a listing while prompts are cached and old ones reused: each prompt it began with comes once", async () => {
        for (let i = 1; i <= 5; i++) await complete(`Once upon a time the farmer counted ${i} sheep in the meadow.`, "farmer");
        const began = (await list("?limit=200")).entries.map((e) => e.id);
        expect(began.length).toBeGreaterThanOrEqual(7);
        // Newest cached first: an order a hit does not change.
        expect(began).toEqual([...began].sort((a, b) => b - a));

        const seen: number[] = [];
        let page = await list("?limit=2");
        expect(page).toMatchObject({start: 0, previousCursor: null, newer: 0, total: began.length});
        for (let round = 1; page.nextCursor != null; round++) {
            seen.push(...page.entries.map((e) => e.id));
            // Between two pages: a new prompt cached, and the oldest farmer's prompt asked again word for word (a hit).
            await complete(`Once upon a time the baker made ${round} loaves of bread at dawn.`, "baker");
            expect((await complete("Once upon a time the farmer counted 1 sheep in the meadow.", "farmer")).reused_tokens).toBeGreaterThan(0);
            page = await list(`?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`);
            expect(page.start).toBe(seen.length);
            expect(page.newer).toBe(round);
        }
        seen.push(...page.entries.map((e) => e.id));
        expect(seen).toEqual(began);
        // The reused prompt kept its place, its hits counted; a new listing starts with the prompts cached since.
        const fresh = await list("?limit=200");
        expect(fresh.entries.find((e) => e.preview.includes("counted 1 sheep"))!.hits).toBeGreaterThan(0);
        expect(fresh.entries.slice(0, fresh.total - began.length).every((e) => e.sender === "baker")).toBe(true);
        // Back through the same listing: the page before the last is the one that was.
        const back = await list(`?limit=2&cursor=${encodeURIComponent(page.previousCursor!)}`);
        expect(back.entries.map((e) => e.id)).toEqual(began.slice(page.start - 2, page.start));
    });

    it("finds a prompt by its text whatever the case, in any script, taking % and _ as they are", async () => {
        await complete("Once upon a time the ÉCOLE DES FÉES opened; 100% of the fairies came.", "teacher");
        const found = await list(`?text=${encodeURIComponent("école des fées")}`);
        expect(found.total).toBe(1);
        expect(found.entries[0]!.preview).toContain("ÉCOLE DES FÉES");
        expect((await list(`?text=${encodeURIComponent("100% OF")}`)).total).toBe(1);
        expect((await list(`?text=${encodeURIComponent("0%_o")}`)).total).toBe(0);
    });

    it("pages through them by position too, and refuses what is not a page, a cursor of the search or an id", async () => {
        const page = await list("?limit=1&offset=1");
        expect(page.entries).toHaveLength(1);
        expect(page.total).toBeGreaterThan(1);
        expect(page.start).toBe(1);
        const cursor = encodeURIComponent((await list("?limit=1&scope=user:farmer")).nextCursor!);
        for (const [path, method, code] of [
            ["/kvshare/cache/entries?limit=0", "GET", "invalid_request"],
            ["/kvshare/cache/entries?limit=201", "GET", "invalid_request"],
            ["/kvshare/cache/entries?cursor=not-a-cursor", "GET", "invalid_cursor"],
            [`/kvshare/cache/entries?cursor=${"x".repeat(300)}`, "GET", "invalid_request"],
            [`/kvshare/cache/entries?cursor=${cursor}&scope=user:baker`, "GET", "invalid_cursor"],
            [`/kvshare/cache/entries?cursor=${cursor}&scope=user:farmer&offset=1`, "GET", "invalid_cursor"],
            ["/kvshare/cache/entries/abc", "DELETE", "invalid_request"]
        ] as const) {
            const res = await server.api(path, {method});
            expect(res.status, path).toBe(400);
            const body = (await res.json()) as {error: {message: string; type: string; code: string}};
            expect(body.error, path).toMatchObject({type: "invalid_request_error", code});
            expect(body.error.message, path).toMatch(/^'(limit|cursor|offset|id)'/);
        }
        expect((await list(`?limit=1&scope=user:farmer&cursor=${cursor}`)).start).toBe(1);
        // Issued keys use the OpenAI routes only.
        const {key} = server.core.keys.create("cache-browser");
        const other = await fetch(`${server.url}/kvshare/cache/entries`, {headers: {authorization: `Bearer ${key}`}});
        expect(other.status).toBe(403);
    });
});
