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

    it("never lets another scope's burst wait for, or reuse, a prompt in flight", async () => {
        const [a, b] = await Promise.all([ask(promptOf("Gus"), "class-4c"), ask(promptOf("Hana"), "class-4d")]);
        for (const record of [a, b]) {
            expect(record.mode).not.toBe("semantic");
            expect(record.donor).toBeUndefined();
        }
    });
});
