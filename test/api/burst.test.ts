/**
 * A class asks at once: like prompts arriving together are served from one prefill (the others wait
 * for its KV and edit it in), each in its own sequence with no shared working sequence, and an
 * in-flight donor stays inside its scope.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Completion, KvShareRecord} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

const exercise =
    "Read the story, then answer the question in one sentence. Once upon a time, there was a little girl named Lily. " +
    "She loved to play outside in the park with her red ball. One day, she saw a big dog near the tree. The dog wanted to play too, " +
    "so Lily threw the ball and the dog ran after it. They played until the sun went down, and then Lily went home happy.";
/** A second paragraph: with it the exercise is under half of the prompt. */
const sequel =
    "The next morning Lily woke up early and ran back to the park. The big dog was already waiting under the tree with the red ball in its mouth. " +
    "It dropped the ball at her feet and barked once. Lily laughed, picked it up and threw it as far as she could. The dog raced across the grass, " +
    "caught the ball before it landed and brought it back, wagging its tail. A boy named Max watched them from the bench and asked if he could play too.";
const students = ["Ava", "Ben", "Chloe", "Dev", "Emma", "Finn"];
const promptOf = (name: string) => `Student: ${name}. ${exercise} Question: Who is the story about? Answer:`;

let server: TestServer;
beforeAll(async () => {
    // Fewer sequences than students: most of the burst must wait for a sequence anyway.
    server = await startTestServer({overrides: {parallel: 2, sharing: {scopePolicy: "user"}}});
    expect(server.core.requirePipeline().runtime.scratch, "these tests need the patched binary (npm run build:native)").toBeDefined();
});
afterAll(async () => {
    await server.close();
});

async function ask(prompt: string, user: string): Promise<KvShareRecord> {
    const res = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 4, temperature: 0, user}});
    expect(res.status).toBe(200);
    return ((await res.json()) as Completion).x_kvshare!;
}

describe("a burst of like prompts", () => {
    it("is prefilled once: every other prompt of the burst edits that KV in", async () => {
        const records = await Promise.all(students.map((name) => ask(promptOf(name), "class-4b")));
        const prefilled = records.filter((record) => record.mode !== "semantic");
        expect(prefilled).toHaveLength(1);
        for (const record of records.filter((r) => r.mode === "semantic")) {
            expect(record.reused_tokens / record.prompt_tokens).toBeGreaterThan(0.7);
            expect(record.scope).toBe("user:class-4b");
        }
    });

    it("stores a leader's KV again once its decode stage fixed some of it, in place of the copy its waiters took", async () => {
        const user = "class-4e";
        const scope = `user:${user}`;
        const pipeline = server.core.requirePipeline();
        const cache = server.core.cache!;
        // The leader reuses this one's exercise (under half of its prompt): a semantic hit whose kept tokens
        // the decode stage (dhd-decode, the default) goes on fixing after its KV was stored for the waiter.
        await ask(promptOf("Ivy"), user);
        await pipeline.settled();
        const before = cache.scopeTotals(scope).entries;
        const longer = (name: string) => `Student: ${name}. ${exercise} ${sequel} Question: What did the dog do after the ball? Answer:`;
        const prompts = [longer("Jon"), longer("Kim")];
        const records = await Promise.all(prompts.map((prompt) => ask(prompt, user)));
        await pipeline.settled();
        const shares = records.map((record) => record.reused_tokens / record.prompt_tokens);
        // One led (a semantic hit on the first prompt, under half reused), the other took its KV.
        expect(Math.min(...shares)).toBeLessThan(0.5);
        expect(Math.max(...shares)).toBeGreaterThan(0.7);
        const leader = records[shares.indexOf(Math.min(...shares))]!;
        expect(leader.mode).toBe("semantic");
        expect(leader.decode_recompute?.tokens).toBeGreaterThan(0);
        // One entry per prompt (the early copy was replaced, not kept beside), each captured after its answer.
        expect(cache.scopeTotals(scope).entries).toBe(before + 2);
        const entries = prompts.map((prompt) => {
            const tokens = pipeline.runtime.prompts.completion(prompt).tokens;
            const entry = cache.findExact([scope], tokens);
            expect(entry).toBeDefined();
            expect(entry!.tokens.length).toBeGreaterThan(tokens.length);
            return entry!;
        });
        // The waiter was served from the replaced entry: its logged donor id leads to the replacement (the
        // quality monitor replays it against that).
        const leaderEntry = entries[shares.indexOf(Math.min(...shares))]!;
        const waiterRow = server.core.requestLog
            .since(0, scope)
            .find((row) => row.donorId != null && row.donorId !== leaderEntry.id && cache.get(row.donorId)?.id === leaderEntry.id);
        expect(waiterRow, "the waiter's logged donor resolves to the leader's new entry").toBeDefined();
        expect(cache.get(waiterRow!.donorId!)).toEqual(leaderEntry);
    });

    it("never lets another scope's burst wait for, or reuse, a prompt in flight", async () => {
        const [a, b] = await Promise.all([ask(promptOf("Gus"), "class-4c"), ask(promptOf("Hana"), "class-4d")]);
        for (const record of [a, b]) {
            expect(record.mode).not.toBe("semantic");
            expect(record.donor).toBeUndefined();
        }
    });
});
