import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatCompletion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {sharing: {scopePolicy: "group", groups: {alice: "ward-1", carol: "ward-1", bob: "ward-2"}}}});
});
afterAll(async () => {
    await server.close();
});

const secret = "ZQ-7731-XK";
const note = (name: string, extra = "") =>
    `Patient note for ${name}. The patient code is ${secret}. She has a cough and a mild fever since Monday.${extra} Please write a short reply.`;

async function ask(user: string, content: string) {
    const res = await server.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "user", content}], max_tokens: 24, temperature: 0, user}});
    expect(res.status).toBe(200);
    const body = await res.json() as ChatCompletion;
    await server.core.requireInference().runtime.settled();
    return body;
}

describe("sharing scopes", () => {
    it("never reuses another scope's KV, and never reports it", async () => {
        await ask("alice", note("Ann Smith"));
        // Every sequence has now served alice's ward at least once or is empty; bob must get nothing of it.
        const bob = await ask("bob", note("Ann Smyth", " She also sleeps badly."));
        expect(bob.x_kvshare.mode).toBe("none");
        expect(bob.x_kvshare.donor).toBeUndefined();
        expect(bob.x_kvshare.reused_tokens).toBe(0);
        expect(bob.usage.prompt_tokens_details.cached_tokens).toBe(0);
        expect(bob.timings.cache_n).toBe(0);
        expect(bob.x_kvshare.scope).toBe("group:ward-2");
        expect(bob.choices[0]!.message.content).not.toContain(secret);
    });

    it("does reuse within a shared scope", async () => {
        await ask("alice", note("Ben Jones"));
        const carol = await ask("carol", note("Ben Janes", " She also sleeps badly."));
        expect(carol.x_kvshare.scope).toBe("group:ward-1");
        expect(carol.x_kvshare.mode).toBe("semantic");
        expect(carol.x_kvshare.donor?.prompt).toContain("Ben Jones");
        expect(carol.x_kvshare.reused_tokens).toBeGreaterThan(carol.x_kvshare.prompt_tokens / 2);
    });

    it("hands a sequence to another scope only after clearing it", async () => {
        // One sequence: bob's request lands on the sequence alice just filled.
        const solo = await startTestServer({overrides: {parallel: 1, sharing: {enabled: false, scopePolicy: "user"}}});
        try {
            const first = await solo.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "user", content: note("Ann")}], max_tokens: 4, user: "alice"}});
            expect(first.status).toBe(200);
            const res = await solo.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "user", content: note("Ann")}], max_tokens: 4, user: "bob"}});
            const body = await res.json() as ChatCompletion;
            expect(body.usage.prompt_tokens_details.cached_tokens).toBe(0);
            const again = await solo.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "user", content: note("Ann")}], max_tokens: 4, user: "bob"}});
            expect((await again.json() as ChatCompletion).usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(10);
        } finally {
            await solo.close();
        }
    });
});
