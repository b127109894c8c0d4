import net from "node:net";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Completion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({
        overrides: {
            // Merged over the defaults: only what this suite needs differently.
            limits: {queueTimeoutMs: 60_000, maxInFlightBytesPerKey: 5 * 1024 * 1024, requestTimeoutMs: 60_000}
        }
    });
});
afterAll(() => server.close());

const post = (path: string, body: unknown, key?: string) =>
    fetch(`${server.url}${path}`, {
        method: "POST",
        headers: {authorization: `Bearer ${key ?? server.apiKey}`, "content-type": "application/json"},
        body: JSON.stringify(body)
    });

describe("one client cannot stall everyone", () => {
    it("refuses a prompt that cannot fit by its length, before tokenizing it", async () => {
        const huge = "Once upon a time ".repeat(230_000);
        for (const [path, body] of [
            ["/v1/completions", {prompt: huge, max_tokens: 1}],
            ["/v1/chat/completions", {messages: [{role: "user", content: huge}], max_tokens: 1}],
            ["/v1/embeddings", {input: huge}]
        ] as const) {
            const res = await post(path, body);
            expect(res.status, path).toBe(400);
            const error = ((await res.json()) as {error: {message: string; code: string}}).error;
            expect(error.code).toBe("context_length_exceeded");
            expect(error.message).toMatch(/characters cannot fit/);
        }
    });

    it("bounds the body bytes one key has in flight (429 + retry-after)", async () => {
        const key = server.core.keys.create("bulk-importer").key;
        const padding = "x".repeat(3 * 1024 * 1024);
        // Unknown fields are ignored, but their bytes count while the request runs.
        const long = post("/v1/completions", {prompt: "Once upon a time", max_tokens: 1500, padding}, key);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const second = await post("/v1/completions", {prompt: "Once upon a time", max_tokens: 2, padding}, key);
        expect(second.status).toBe(429);
        expect(second.headers.get("retry-after")).toBe("1");
        // its body was not read through: the connection ends with the answer, and the client is told so
        expect(second.headers.get("connection")).toBe("close");
        // The owner's key has a budget of its own.
        expect((await post("/v1/completions", {prompt: "Once upon a time", max_tokens: 2, padding})).status).toBe(200);
        expect((await long).status).toBe(200);
        // Released with the response: the same key may send again.
        expect((await post("/v1/completions", {prompt: "Once upon a time", max_tokens: 2, padding}, key)).status).toBe(200);
    });
});

describe("receive timeouts", () => {
    let quick: TestServer;
    beforeAll(async () => {
        quick = await startTestServer({overrides: {limits: {...server.core.settings.limits, requestReceiveTimeoutMs: 1000}}});
    });
    afterAll(() => quick.close());

    it("cuts off a half-sent body (408) instead of holding a slot", async () => {
        const port = quick.core.apiServer?.address?.port ?? 0;
        const started = Date.now();
        const answer = await new Promise<string>((resolve, reject) => {
            const socket = net.connect(port, "127.0.0.1", () => {
                socket.write(
                    `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${quick.apiKey}\r\n` +
                        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"prompt": "Once'
                );
            });
            let received = "";
            socket.setEncoding("utf8");
            socket.on("data", (chunk: string) => (received += chunk));
            socket.on("close", () => resolve(received));
            socket.on("error", reject);
            setTimeout(() => reject(new Error("the server kept the half-sent request open")), 15_000).unref();
        });
        expect(answer).toMatch(/^HTTP\/1\.1 408/);
        // With an OpenAI-style body, as every other error (Node's own answer is a bare status line).
        const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as {error: {type: string; code: string; message: string}};
        expect(body.error).toMatchObject({type: "invalid_request_error", code: "request_timeout"});
        expect(Date.now() - started).toBeLessThan(15_000);
    });

    it("answers a half-sent request on a kept-alive connection too, after a first answered one", async () => {
        const port = quick.core.apiServer?.address?.port ?? 0;
        const answer = await new Promise<string>((resolve, reject) => {
            const socket = net.connect(port, "127.0.0.1", () =>
                socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`)
            );
            let received = "";
            let second = false;
            socket.setEncoding("utf8");
            socket.on("data", (chunk: string) => {
                received += chunk;
                if (!second && received.includes('{"status"')) {
                    second = true;
                    socket.write(
                        `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${quick.apiKey}\r\n` +
                            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"prompt": "Once'
                    );
                }
            });
            socket.on("close", () => resolve(received));
            socket.on("error", reject);
            setTimeout(() => reject(new Error("no answer to the half-sent second request")), 15_000).unref();
        });
        expect(answer).toMatch(/^HTTP\/1\.1 200/);
        expect(answer).toMatch(/HTTP\/1\.1 408 Request Timeout[\s\S]*"code":"request_timeout"/);
    });

    it("answers a request Node cannot parse with a 400 and an OpenAI-style body", async () => {
        const port = quick.core.apiServer?.address?.port ?? 0;
        const answer = await new Promise<string>((resolve, reject) => {
            const socket = net.connect(port, "127.0.0.1", () => socket.write("GARBAGE / HTTP/9\r\n\r\n"));
            let received = "";
            socket.setEncoding("utf8");
            socket.on("data", (chunk: string) => (received += chunk));
            socket.on("close", () => resolve(received));
            socket.on("error", reject);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 400/);
        expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({error: {type: "invalid_request_error", code: "bad_http_request"}});
    });

    it("does not cut off a response that streams longer than the receive timeout", async () => {
        const res = await fetch(`${quick.url}/v1/completions`, {
            method: "POST",
            headers: {authorization: `Bearer ${quick.apiKey}`, "content-type": "application/json"},
            body: JSON.stringify({prompt: "Once upon a time", max_tokens: 600, stream: true, temperature: 0})
        });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        let text = "";
        const started = Date.now();
        for (;;) {
            const {done, value} = await reader.read();
            if (done) break;
            text += new TextDecoder().decode(value);
            // Reading slowly keeps the response open past the 1 s receive timeout.
            if (Date.now() - started < 1500) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(Date.now() - started).toBeGreaterThan(1000);
        expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    });
});

describe("admin and API input validation", () => {
    it("refuses reserved and prototype-like profile and group names", async () => {
        for (const body of [{name: "anonymous", group: "ward-1"}, {name: "__proto__"}, {name: "Admin"}, {name: "nurse", group: "constructor"}]) {
            const res = await server.api(`/kvshare/profiles/${encodeURIComponent(body.name)}`, {method: "PUT", json: body});
            expect(res.status, JSON.stringify(body)).toBe(400);
        }
        const groups = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {groups: {anonymous: "ward-1"}}}});
        expect(groups.status).toBe(400);
        expect(server.core.settings.sharing.groups).toEqual({});
    });

    it("refuses absurd timestamps", async () => {
        for (const createdAt of [-1, 1, 8.64e15, Date.now() + 7 * 86_400_000]) {
            const conversation = {id: "c1", title: "t", profile: "Nurse", systemPrompt: "", params: {}, createdAt, updatedAt: Date.now(), messages: []};
            const res = await server.api("/kvshare/conversations/c1", {method: "PUT", json: conversation});
            expect(res.status, String(createdAt)).toBe(400);
        }
    });

    it("refuses shared prefixes longer than half the context, quickly", async () => {
        const long = "Once upon a time there was a kind nurse who helped everyone in the ward. ".repeat(200);
        const res = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {sharedPrefixes: [long]}}});
        expect(res.status).toBe(400);
        expect(((await res.json()) as {error: {message: string}}).error.message).toMatch(/at most half the context/);
        expect(server.core.settings.sharing.sharedPrefixes).toEqual([]);
    });

    it("bounds the API's user field and keeps it out of the issued keys' namespace", async () => {
        const long = await post("/v1/completions", {prompt: "Once upon a time", max_tokens: 1, user: "u".repeat(100_000)});
        expect(long.status).toBe(400);
        const spoof = await post("/v1/completions", {prompt: "Once upon a time", max_tokens: 1, user: "key/abc123"});
        expect(spoof.status).toBe(400);
        expect((await post("/v1/completions", {prompt: "Once upon a time", max_tokens: 1, user: "nurse-7"})).status).toBe(200);
    });
});

describe("activity does not leak across scopes", () => {
    it("shows issued keys an opaque donor id and no memory tier", async () => {
        server.core.settings.sharing.scopePolicy = "user";
        try {
            const key = server.core.keys.create("observer").key;
            const story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball.";
            const ask = async (prompt: string, asKey?: string) => {
                const res = await post("/v1/completions", {prompt, max_tokens: 2}, asKey);
                await server.core.requirePipeline().settled();
                return ((await res.json()) as Completion).x_kvshare!;
            };
            await ask(story, key);
            const first = await ask(story.replace("Lily", "Sue"), key);
            // Other scopes' traffic in between would show as a jump in a global counter.
            for (let i = 0; i < 3; i++) await ask(`Once upon a time, a cat number ${i} sat on a big red mat in the sun.`);
            const second = await ask(story.replace("Lily", "Ann"), key);
            expect(first.donor).toBeDefined();
            expect(second.donor).toBeDefined();
            for (const donor of [first.donor!, second.donor!]) {
                expect(donor.tier).toBeUndefined();
                // Not an index id (those are small counters): an opaque stand-in.
                expect(server.core.cache!.get(donor.id)).toBeUndefined();
            }
            // The owner sees the real id and tier.
            await ask(story);
            const own = await ask(story.replace("Lily", "Kim"));
            expect(own.donor?.tier).toMatch(/memory|disk/);
            expect(server.core.cache!.get(own.donor!.id)).toBeDefined();
        } finally {
            server.core.settings.sharing.scopePolicy = "global";
        }
    });
});
