import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Completion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";
import {health, readUntilFirstText, waitFor, waitForIdleSequences} from "../support/waitFor.js";

// One sequence and no waiting room unless a test opens it: busy is easy to arrange.
let server: TestServer;
const limits = {maxQueue: 0, queueTimeoutMs: 60_000, maxBodyBytes: 1 << 20, maxTokensCap: 4096, maxConcurrentPerKey: 8, requestTimeoutMs: 60_000};
beforeAll(async () => {
    server = await startTestServer({overrides: {parallel: 1, limits}});
});
afterAll(async () => {
    await server.close();
});

// Greedy "Once upon a time" runs the full 1500 tokens on stories260K (no end-of-text before).
const long = {prompt: "Once upon a time", max_tokens: 1500, temperature: 0};
const short = {prompt: "Hello", max_tokens: 2};

/**
 * Starts a streamed long generation and resolves once its headers arrive: they are sent with the
 * first generated text, so the request then holds the one sequence and is decoding.
 */
async function occupySequence(user: string, signal?: AbortSignal): Promise<Response> {
    const res = await server.api("/v1/completions", {method: "POST", json: {...long, stream: true, user}, ...(signal == null ? {} : {signal})});
    expect(res.status).toBe(200);
    expect((await health(server)).slots_busy).toBe(1);
    return res;
}

describe("backpressure, timeouts and cancellation", () => {
    it("answers 503 with retry-after when every sequence is busy and the queue is full", async () => {
        const busy = await occupySequence("busy");
        const refused = await server.api("/v1/completions", {method: "POST", json: short});
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("1");
        expect(((await refused.json()) as {error: {type: string}}).error.type).toBe("unavailable_error");
        // The refusal does not disturb the request that holds the sequence: it answers in full.
        const stream = await busy.text();
        expect(stream).toMatch(/"finish_reason":"(length|stop)"/);
        expect(stream).not.toContain(`"error"`);
        expect(stream.trimEnd().endsWith("data: [DONE]")).toBe(true);
        expect((await server.api("/v1/completions", {method: "POST", json: short})).status).toBe(200);
    });

    it("answers 503 to a request that waited past the queue timeout", async () => {
        Object.assign(server.core.settings.limits, {maxQueue: 4, queueTimeoutMs: 100});
        const abort = new AbortController();
        try {
            await occupySequence("busy", abort.signal);
            // It waits in the queue (the one sequence is busy) until the timeout refuses it: only a
            // request that waited gets queue_timeout (a full queue refuses at once with server_busy).
            const answer = await server.api("/v1/completions", {method: "POST", json: short});
            expect(answer.status).toBe(503);
            expect(answer.headers.get("retry-after")).toBe("1");
            expect(((await answer.json()) as {error: {code: string}}).error.code).toBe("queue_timeout");
            expect((await health(server)).queued).toBe(0);
        } finally {
            abort.abort();
            Object.assign(server.core.settings.limits, {maxQueue: 0, queueTimeoutMs: 60_000});
        }
        await waitForIdleSequences(server);
    });

    it("cuts a generation that outlives the request timeout short, with finish_reason length", async () => {
        server.core.settings.limits.requestTimeoutMs = 400;
        try {
            const res = await server.api("/v1/completions", {method: "POST", json: long});
            expect(res.status).toBe(200);
            const body = (await res.json()) as Completion;
            expect(body.choices[0]!.finish_reason).toBe("length");
            expect(body.usage!.completion_tokens).toBeLessThan(1500);
        } finally {
            server.core.settings.limits.requestTimeoutMs = 60_000;
        }
    });

    it("stops the generation and frees the sequence when a streaming client disconnects", async () => {
        // A waiting room, so the next request waits for the sequence instead of getting 503.
        server.core.settings.limits.maxQueue = 4;
        try {
            const abort = new AbortController();
            const res = await occupySequence("abandoned", abort.signal);
            await readUntilFirstText(res);
            abort.abort();
            // The abandoned generation ends (is logged) well short of its 1500 tokens and gives the sequence back.
            const abandoned = await waitFor("the abandoned request in the log", () =>
                server.core.requestLog.since(0).findLast((entry) => entry.user === "abandoned")
            );
            expect(abandoned.completionTokens).toBeGreaterThan(0);
            expect(abandoned.completionTokens).toBeLessThan(1500);
            await waitForIdleSequences(server);
            // With one sequence, the next request is served now that the abandoned one stopped.
            const next = await server.api("/v1/completions", {method: "POST", json: short});
            expect(next.status).toBe(200);
        } finally {
            server.core.settings.limits.maxQueue = 0;
        }
    });

    it("stops an embeddings request between its inputs when its client leaves, and refuses one more than the queue holds", async () => {
        // Minutes of work on this model: 200 inputs of some 500 tokens.
        const input = Array.from({length: 200}, (_, i) => `${i} ${"hello world cat dog sun ".repeat(80)}`);
        const runtime = server.core.requirePipeline().runtime;
        const long = (abort: AbortController) =>
            server.api("/v1/embeddings", {method: "POST", json: {input}, signal: abort.signal}).catch((error: unknown) => error);
        const first = new AbortController();
        const abandoned = long(first);
        await waitFor("the embeddings request to run", () => runtime.embeddingsInFlight === 1);
        // No waiting room (maxQueue 0): a second one is refused, as a chat request would be.
        const refused = await server.api("/v1/embeddings", {method: "POST", json: {input: "a cat"}});
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("1");
        expect(((await refused.json()) as {error: {message: string}}).error.message).toMatch(/embedding queue is full/);

        // One place to wait: a request that waits there and is abandoned gives its place up at once.
        server.core.settings.limits.maxQueue = 1;
        try {
            const second = new AbortController();
            const waiting = long(second);
            await waitFor("the second request to wait", () => runtime.embeddingsInFlight === 2);
            second.abort();
            expect(await waiting).toBeInstanceOf(Error);
            await waitFor("its place to be given up", () => runtime.embeddingsInFlight === 1, 5_000);
            const next = server.api("/v1/embeddings", {method: "POST", json: {input: "a cat"}});
            await waitFor("the next one to wait in its place", () => runtime.embeddingsInFlight === 2, 5_000);

            first.abort();
            expect(await abandoned).toBeInstanceOf(Error);
            // The first stops at its next input, long before its 200 are done, and the one waiting is answered.
            expect((await next).status).toBe(200);
            await waitFor("the abandoned embeddings to stop", () => runtime.embeddingsInFlight === 0, 15_000);
        } finally {
            server.core.settings.limits.maxQueue = 0;
        }
        const after = await server.api("/v1/completions", {method: "POST", json: short});
        expect(after.status).toBe(200);
    });
});
