import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {seededRandom} from "../support/seededRandom.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {contextSize: 256}});
});
afterAll(async () => {
    await server.close();
});

const oddValues: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    "",
    "x",
    "\u0000",
    "\uD800",
    "😀".repeat(50),
    [],
    [1],
    {},
    {a: 1},
    "x".repeat(5000)
];
const fields = [
    "messages",
    "prompt",
    "input",
    "model",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "stop",
    "seed",
    "stream",
    "stream_options",
    "n",
    "user",
    "presence_penalty",
    "frequency_penalty",
    "encoding_format",
    "echo",
    "suffix",
    "instructions",
    "max_output_tokens",
    "text",
    "tools",
    "tool_choice",
    "include",
    "top_logprobs",
    "truncation"
];

function mutate(random: () => number, base: Record<string, unknown>): Record<string, unknown> | unknown[] | string {
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const body: Record<string, unknown> = structuredClone(base);
    const edits = 1 + Math.floor(random() * 3);
    for (let i = 0; i < edits; i++) {
        const roll = random();
        if (roll < 0.5) body[pick(fields)] = pick(oddValues);
        else if (roll < 0.7) delete body[pick(Object.keys(body).length > 0 ? Object.keys(body) : fields)];
        else if (roll < 0.85) body.messages = [{role: pick(["user", "system", "assistant", "tool", "robot", 7]), content: pick(oddValues)}];
        else return random() < 0.5 ? [body] : JSON.stringify(body).slice(0, Math.floor(random() * 40));
    }
    return body;
}

describe("bounded fuzz of the generation endpoints", () => {
    it("answers 400 mutated requests with 2xx or an OpenAI-style 4xx, never a crash or 5xx", async () => {
        const random = seededRandom(1234);
        const endpoints: Array<[string, Record<string, unknown>]> = [
            ["/v1/chat/completions", {messages: [{role: "user", content: "Hi"}], max_tokens: 3}],
            ["/v1/completions", {prompt: "Once", max_tokens: 3}],
            ["/v1/embeddings", {input: "a cat"}],
            ["/v1/responses", {input: [{role: "user", content: [{type: "input_text", text: "Hi"}]}], max_output_tokens: 3}]
        ];
        const statuses = new Map<number, number>();
        for (let i = 0; i < 400; i++) {
            const [route, base] = endpoints[i % endpoints.length]!;
            const body = mutate(random, base);
            const res = await server.api(route, {
                method: "POST",
                body: typeof body === "string" ? body : JSON.stringify(body),
                headers: {"content-type": "application/json"}
            });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const text = await res.text();
            expect(res.status, `${route} ${JSON.stringify(body).slice(0, 200)} → ${text.slice(0, 200)}`).toBeLessThan(500);
            if (res.status >= 400) {
                const error = (JSON.parse(text) as {error: {message: string; type: string}}).error;
                expect(typeof error.message).toBe("string");
                expect(typeof error.type).toBe("string");
            }
        }
        expect(statuses.get(400)).toBeGreaterThan(50);
        expect(statuses.get(200)).toBeGreaterThan(10);
        const health = await server.api("/health");
        expect(health.status).toBe(200);
    });
});

/** URL-encodes anything, lone surrogates (which encodeURIComponent refuses) replaced. */
const enc = (value: unknown) => encodeURIComponent(String(value).replace(/[\uD800-\uDFFF]/g, "\uFFFD"));

describe("bounded fuzz of the app's own (admin) API", () => {
    it("answers 200 mutated admin requests with 2xx or an OpenAI-style 4xx, and keeps serving", async () => {
        const random = seededRandom(4321);
        const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
        // api.host/port/enabled are left out: a valid value would move the server under the fuzzer.
        const settingFields = [
            "enabled",
            "prefixReuse",
            "similarityThreshold",
            "topK",
            "minRunLength",
            "recomputeBudget",
            "minGainTokens",
            "embedder",
            "scopePolicy",
            "groups",
            "maxSnapshotBytes",
            "maxMemoryBytes",
            "sharedPrefixes",
            "bogus",
            "__proto__"
        ];
        const odd = [...oddValues, {__proto__: "ward"}, {anonymous: "ward"}, {a: 1}, ["x"], [{}], -0.5, 2, 1e12, "global", "user"];
        const requests: Array<() => {path: string; method: string; body?: string}> = [
            () => ({
                path: "/kvshare/settings",
                method: "PATCH",
                body: JSON.stringify(
                    random() < 0.8
                        ? {sharing: {[pick(settingFields)]: pick(odd)}}
                        : pick([{api: {corsOrigins: pick(odd)}}, {api: {allowedHosts: pick(odd)}}, {api: {auth: false}}, {limits: {}}, pick(odd)])
                )
            }),
            () => ({
                path: `/kvshare/profiles/${enc(pick(["nurse", "__proto__", "anonymous", "", "x".repeat(80), "a/b", "ward%2F1"]))}`,
                method: "PUT",
                body: JSON.stringify({name: pick(odd), group: pick(odd)})
            }),
            () => ({
                path: `/kvshare/conversations/${pick(["c1", "bad id", "x".repeat(100)])}`,
                method: "PUT",
                body: JSON.stringify({
                    id: pick(["c1", 7]),
                    title: pick(odd),
                    profile: pick(odd),
                    systemPrompt: pick(odd),
                    params: pick(odd),
                    createdAt: pick([Date.now(), -1, 1e20, "now", null]),
                    updatedAt: Date.now(),
                    messages: pick([[], [{id: "m", role: pick(["user", "robot"]), content: pick(odd), createdAt: Date.now()}], "x"])
                })
            }),
            () => ({path: "/kvshare/keys", method: "POST", body: JSON.stringify({name: pick(odd), group: pick(odd)})}),
            () => ({path: `/kvshare/keys/${enc(pick(["nope", "", "../x", "%zz", 7]))}${pick(["", "?purge=true", "?purge=1"])}`, method: "DELETE"}),
            () => ({path: "/kvshare/model", method: "PUT", body: JSON.stringify({path: pick([...odd, "/etc/passwd", "/nonexistent.gguf", "relative.gguf"])})}),
            () => ({path: `/kvshare/cache/stats?bucketMs=${enc(pick(odd))}`, method: "GET"}),
            () => ({path: `/kvshare/conversations?profile=${enc(pick(odd))}`, method: "GET"})
        ];
        const statuses = new Map<number, number>();
        for (let i = 0; i < 200; i++) {
            const request = requests[i % requests.length]!();
            const body = request.body != null && random() < 0.1 ? request.body.slice(0, Math.floor(random() * request.body.length)) : request.body;
            const res = await server.api(request.path, {method: request.method, body, headers: body == null ? {} : {"content-type": "application/json"}});
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const text = await res.text();
            expect(res.status, `${request.method} ${request.path} ${String(body).slice(0, 200)} → ${text.slice(0, 200)}`).toBeLessThan(500);
            if (res.status >= 400) expect(typeof (JSON.parse(text) as {error: {message: string}}).error.message).toBe("string");
        }
        expect(statuses.get(400)).toBeGreaterThan(50);
        expect([...statuses.entries()].filter(([status]) => status < 300).length).toBeGreaterThan(0);
        // Still serving, with settings that still load, auth still on, and no reserved group.
        expect(server.core.settings.api.auth).toBe(true);
        expect(Object.hasOwn(server.core.settings.sharing.groups, "anonymous")).toBe(false);
        expect(Object.getPrototypeOf(server.core.settings.sharing.groups)).toBe(Object.prototype);
        const res = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once", max_tokens: 2}});
        expect(res.status).toBe(200);
    });
});
