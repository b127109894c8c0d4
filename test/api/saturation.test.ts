import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Completion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

// One sequence and no waiting room unless a test opens it: busy is easy to arrange.
let server: TestServer;
const limits = {maxQueue: 0, queueTimeoutMs: 60_000, maxBodyBytes: 1 << 20, maxTokensCap: 4096, maxConcurrentPerKey: 8, requestTimeoutMs: 60_000};
beforeAll(async () => {
    server = await startTestServer({overrides: {parallel: 1, limits}});
});
afterAll(async () => {
    await server.close();
});

// Greedy "Once upon a time" runs the full 1500 tokens on stories260K (several seconds).
const long = {prompt: "Once upon a time", max_tokens: 1500, temperature: 0};
const short = {prompt: "Hello", max_tokens: 2};

describe("backpressure, timeouts and cancellation", () => {
    it("answers 503 with retry-after when every sequence is busy and the queue is full", async () => {
        const busy = server.api("/v1/completions", {method: "POST", json: long});
        await new Promise((r) => setTimeout(r, 50));
        const refused = await server.api("/v1/completions", {method: "POST", json: short});
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("1");
        expect((await refused.json() as {error: {type: string}}).error.type).toBe("unavailable_error");
        expect((await busy).status).toBe(200);
        expect((await server.api("/v1/completions", {method: "POST", json: short})).status).toBe(200);
    });

    it("answers 503 to a request that waited past the queue timeout", async () => {
        Object.assign(server.core.settings.limits, {maxQueue: 4, queueTimeoutMs: 100});
        try {
            const busy = server.api("/v1/completions", {method: "POST", json: long});
            await new Promise((r) => setTimeout(r, 50));
            const waited = await server.api("/v1/completions", {method: "POST", json: short});
            expect(waited.status).toBe(503);
            expect((await waited.json() as {error: {code: string}}).error.code).toBe("queue_timeout");
            await busy;
        } finally {
            Object.assign(server.core.settings.limits, {maxQueue: 0, queueTimeoutMs: 60_000});
        }
    });

    it("cuts a generation that outlives the request timeout short, with finish_reason length", async () => {
        server.core.settings.limits.requestTimeoutMs = 400;
        try {
            const res = await server.api("/v1/completions", {method: "POST", json: long});
            expect(res.status).toBe(200);
            const body = await res.json() as Completion;
            expect(body.choices[0]!.finish_reason).toBe("length");
            expect(body.usage!.completion_tokens).toBeLessThan(1500);
        } finally {
            server.core.settings.limits.requestTimeoutMs = 60_000;
        }
    });

    it("frees the sequence at once when a streaming client disconnects", async () => {
        // A waiting room, so the next request waits for the sequence instead of getting 503.
        server.core.settings.limits.maxQueue = 4;
        const abort = new AbortController();
        const res = await server.api("/v1/completions", {method: "POST", json: {...long, stream: true}, signal: abort.signal});
        await res.body!.getReader().read();
        abort.abort();
        // With one sequence, the next request is served only if the abandoned generation stopped.
        const started = performance.now();
        const next = await server.api("/v1/completions", {method: "POST", json: short});
        expect(next.status).toBe(200);
        expect(performance.now() - started).toBeLessThan(2000);
        const abandoned = server.core.requestLog.since(0).at(-2)!;
        expect(abandoned.completionTokens).toBeLessThan(1500);
        server.core.settings.limits.maxQueue = 0;
    });
});
