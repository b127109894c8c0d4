import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {parallel: 1, limits: {maxQueue: 0, queueTimeoutMs: 60_000, maxBodyBytes: 1 << 20, maxTokensCap: 4096}}});
});
afterAll(async () => {
    await server.close();
});

describe("backpressure", () => {
    it("answers 503 with retry-after when every sequence is busy and the queue is full", async () => {
        const busy = server.api("/v1/completions", {method: "POST", json: {prompt: "Once upon a time", max_tokens: 1500, temperature: 0}});
        await new Promise((r) => setTimeout(r, 30));
        const refused = await server.api("/v1/completions", {method: "POST", json: {prompt: "Hello", max_tokens: 2}});
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("1");
        const body = await refused.json() as {error: {type: string}};
        expect(body.error.type).toBe("unavailable_error");
        expect((await busy).status).toBe(200);
        const after = await server.api("/v1/completions", {method: "POST", json: {prompt: "Hello", max_tokens: 2}});
        expect(after.status).toBe(200);
    });
});
