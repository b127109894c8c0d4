import http from "node:http";
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, testApiKey, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({
        overrides: {contextSize: 256, limits: {maxBodyBytes: 64 * 1024, maxQueue: 64, queueTimeoutMs: 60_000, maxTokensCap: 4096}}
    });
});
afterAll(async () => {
    await server.close();
});

const ok = {messages: [{role: "user", content: "Hi"}], max_tokens: 2};

async function expectError(res: Response, status: number, type: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await res.json()) as {error: {message: string; type: string; code: unknown; param: unknown}};
    expect(body.error.type).toBe(type);
    expect(body.error.message.length).toBeGreaterThan(5);
    expect(body.error).toHaveProperty("code");
    return body.error;
}

async function stillServes() {
    const res = await server.api("/v1/chat/completions", {method: "POST", json: ok});
    expect(res.status).toBe(200);
}

describe("bad requests get OpenAI-style 4xx errors and the server keeps serving", () => {
    const cases: Array<[string, RequestInit & {json?: unknown}, number, string]> = [
        ["malformed JSON", {method: "POST", body: '{"messages": [', headers: {"content-type": "application/json"}}, 400, "invalid_request_error"],
        ["a JSON array body", {method: "POST", json: [1, 2]}, 400, "invalid_request_error"],
        ["messages of the wrong type", {method: "POST", json: {messages: "hello"}}, 400, "invalid_request_error"],
        ["an empty message list", {method: "POST", json: {messages: []}}, 400, "invalid_request_error"],
        ["a message without a role", {method: "POST", json: {messages: [{content: "x"}]}}, 400, "invalid_request_error"],
        ["temperature as a string", {method: "POST", json: {...ok, temperature: "hot"}}, 400, "invalid_request_error"],
        ["negative max_tokens", {method: "POST", json: {...ok, max_tokens: -5}}, 400, "invalid_request_error"],
        ["huge max_tokens", {method: "POST", json: {...ok, max_tokens: 10_000_000}}, 400, "invalid_request_error"],
        [
            "an image part",
            {method: "POST", json: {messages: [{role: "user", content: [{type: "image_url", image_url: {url: "x"}}]}]}},
            400,
            "invalid_request_error"
        ],
        [
            "invalid UTF-8",
            {method: "POST", body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: {"content-type": "application/json"}},
            400,
            "invalid_request_error"
        ],
        ["a body over the size limit", {method: "POST", json: {messages: [{role: "user", content: "x".repeat(100 * 1024)}]}}, 413, "invalid_request_error"],
        ["an unknown model", {method: "POST", json: {...ok, model: "gpt-5"}}, 404, "not_found_error"],
        [
            "a gzip-encoded body",
            {method: "POST", body: Buffer.from([0x1f, 0x8b, 0x08, 0x00]), headers: {"content-type": "application/json", "content-encoding": "gzip"}},
            415,
            "invalid_request_error"
        ]
    ];
    for (const [name, init, status, type] of cases) {
        it(name, async () => {
            await expectError(await server.api("/v1/chat/completions", init), status, type);
            await stillServes();
        });
    }

    it("a prompt longer than the context", async () => {
        const long = "Lily and Tom played in the big green park all day long. ".repeat(40);
        const error = await expectError(
            await server.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "user", content: long}]}}),
            400,
            "exceed_context_size_error"
        );
        expect(error.code).toBe("context_length_exceeded");
        await stillServes();
    });

    it("a prompt that fits but asks for more tokens than the context has left", async () => {
        // (A max_tokens as large as the context, 256 here, is "until the context ends": contextOverflow.test.ts.)
        await expectError(await server.api("/v1/chat/completions", {method: "POST", json: {...ok, max_tokens: 250}}), 400, "exceed_context_size_error");
    });

    it("the openai client raises BadRequestError for an empty message list", async () => {
        await expect(server.client.chat.completions.create({model: "stories260K", messages: []})).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    });

    it("unknown routes are 404 JSON, wrong methods 405 saying which are allowed; HEAD is answered as GET", async () => {
        await expectError(await server.api("/v1/nope"), 404, "not_found_error");
        const wrong = await server.api("/v1/chat/completions");
        expect(wrong.headers.get("allow")).toBe("POST");
        await expectError(wrong, 405, "invalid_request_error");
        expect((await server.api("/v1/models", {method: "DELETE"})).headers.get("allow")).toBe("GET, HEAD");
        for (const path of ["/health", "/v1/models"]) {
            const head = await server.api(path, {method: "HEAD"});
            expect(head.status, path).toBe(200);
            expect(head.headers.get("content-type")).toMatch(/application\/json/);
            expect(await head.text()).toBe("");
        }
    });

    it("takes what OpenAI takes: a conversation of system messages only, the model named with its file extension", async () => {
        const res = await server.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "system", content: "Tell a story."}], max_tokens: 4}});
        expect(res.status).toBe(200);
        expect((await server.api("/v1/models/stories260K.gguf")).status).toBe(200);
        const bestOf = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once", best_of: 2}});
        expect((await expectError(bestOf, 400, "invalid_request_error")).param).toBe("best_of");
    });
});

describe("authentication", () => {
    it("refuses a missing key with 401", async () => {
        await expectError(await server.api("/v1/models", {noAuth: true}), 401, "authentication_error");
        const anonymous = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "wrong-key", maxRetries: 0});
        await expect(anonymous.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it("accepts the key as x-api-key too", async () => {
        const res = await server.api("/v1/models", {noAuth: true, headers: {"x-api-key": testApiKey}});
        expect(res.status).toBe(200);
    });

    it("refuses foreign Host headers (DNS rebinding)", async () => {
        // fetch() drops a custom Host header, so speak HTTP directly.
        const status = await new Promise<number>((resolve, reject) => {
            const req = http.request(`${server.url}/health`, {headers: {host: "evil.example"}}, (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
            });
            req.on("error", reject);
            req.end();
        });
        expect(status).toBe(403);
    });
});

describe("CORS", () => {
    it("gives no CORS headers to an origin that is not on the allowlist", async () => {
        const res = await server.api("/v1/models", {headers: {origin: "https://evil.example"}});
        expect(res.status).toBe(403);
        expect(res.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("answers the preflight of an allowed origin, private network included", async () => {
        server.core.settings.api.corsOrigins = ["http://localhost:5173"];
        const res = await fetch(`${server.url}/v1/chat/completions`, {
            method: "OPTIONS",
            headers: {
                origin: "http://localhost:5173",
                "access-control-request-method": "POST",
                "access-control-request-private-network": "true",
                // The OpenAI SDK's stream helper and an organization header; a malformed name is left out.
                "access-control-request-headers": "content-type, x-stainless-helper-method, OpenAI-Organization, bad name"
            }
        });
        expect(res.status).toBe(204);
        expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
        const allowed = res.headers.get("access-control-allow-headers")!.split(", ");
        expect(allowed).toEqual(expect.arrayContaining(["authorization", "x-stainless-helper-method", "openai-organization"]));
        expect(allowed).not.toContain("bad name");
        expect(res.headers.get("vary")).toMatch(/Access-Control-Request-Headers/);
        expect(res.headers.get("access-control-allow-private-network")).toBe("true");
    });
});
