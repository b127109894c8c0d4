import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import type {CacheStats} from "../../shared/admin.js";
import type {ApiErrorBody, Completion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

const story =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball. One day, she saw a big dog near the tree.";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const chat = (x_kvshare: unknown) => ({messages: [{role: "user", content: "Hi"}], max_tokens: 2, x_kvshare});

async function refusal(path: string, json: unknown): Promise<ApiErrorBody["error"]> {
    const res = await server.api(path, {method: "POST", json});
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.code).toBe("invalid_request");
    return body.error;
}

/** Cached prompts, once every donor write still running has finished. */
async function cachedEntries(): Promise<number> {
    await server.core.requirePipeline().settled();
    const res = await server.api("/kvshare/cache/stats");
    expect(res.status).toBe(200);
    return ((await res.json()) as CacheStats).cache.entries;
}

describe("x_kvshare: a request's own recompute choices", () => {
    it("refuses an unknown policy on both completion routes, naming the field and the allowed policies", async () => {
        for (const [path, json] of [
            ["/v1/chat/completions", chat({recompute_policy: "fastest"})],
            ["/v1/completions", {prompt: "Hi", max_tokens: 2, x_kvshare: {recompute_policy: "fastest"}}]
        ] as const) {
            const error = await refusal(path, json);
            expect(error.param).toBe("x_kvshare.recompute_policy");
            expect(error.message).toContain('"none", "boundary", "epic", "deviation", "dhd", "dhd-decode", "dhd-guard"');
        }
    });

    it("refuses a budget outside 0..1, wrong types and fields it does not know", async () => {
        expect((await refusal("/v1/chat/completions", chat({recompute_budget: 2}))).param).toBe("x_kvshare.recompute_budget");
        expect((await refusal("/v1/completions", {prompt: "Hi", x_kvshare: {recompute_budget: -0.1}})).param).toBe("x_kvshare.recompute_budget");
        expect((await refusal("/v1/chat/completions", chat({recompute_budget: "0.5"}))).param).toBe("x_kvshare.recompute_budget");
        expect((await refusal("/v1/chat/completions", chat({store: "no"}))).param).toBe("x_kvshare.store");
        expect((await refusal("/v1/chat/completions", chat({recompute_policy: 3}))).param).toBe("x_kvshare.recompute_policy");
        expect((await refusal("/v1/chat/completions", chat({recompute_polcy: "none"}))).param).toBe("x_kvshare.recompute_polcy");
        expect((await refusal("/v1/chat/completions", chat("none"))).param).toBe("x_kvshare");
        expect((await refusal("/v1/chat/completions", chat(["none"]))).param).toBe("x_kvshare");
    });

    it("serves a valid choice with its hit record, and passes it to the pipeline", async () => {
        const pipeline = server.core.requirePipeline();
        const spy = vi.spyOn(pipeline, "chat");
        try {
            const res = await server.api("/v1/chat/completions", {method: "POST", json: chat({recompute_policy: "epic", recompute_budget: 0.5, store: true})});
            expect(res.status).toBe(200);
            expect(((await res.json()) as Completion).x_kvshare?.prompt_tokens).toBeGreaterThan(0);
            expect(spy.mock.calls[0]?.[2].recompute).toEqual({policy: "epic", budget: 0.5, store: true});
        } finally {
            spy.mockRestore();
        }
    });

    it("with store: false answers as usual but keeps the prompt out of the cache, which takes it otherwise", async () => {
        const before = await cachedEntries();
        const res = await server.api("/v1/completions", {
            method: "POST",
            json: {prompt: story, max_tokens: 8, temperature: 0, x_kvshare: {recompute_policy: "none", store: false}}
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as Completion;
        expect(body.x_kvshare).toBeDefined();
        expect(body.x_kvshare!.prompt_tokens).toBeGreaterThan(0);
        expect(await cachedEntries()).toBe(before);

        // The same prompt without the opt-out is cached: the store: false request above was a real test. Nor
        // did that request leave its KV in the sequence it used: the same prompt next reuses none of it.
        const again = await server.api("/v1/completions", {method: "POST", json: {prompt: story, max_tokens: 8, temperature: 0}});
        expect(again.status).toBe(200);
        const record = ((await again.json()) as Completion).x_kvshare!;
        expect(record.reused_tokens).toBeLessThan(5);
        expect(record.prompt_tokens).toBeGreaterThan(20);
        expect(await cachedEntries()).toBe(before + 1);
    });
});
