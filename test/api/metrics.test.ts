/**
 * GET /metrics over real HTTP on a real server (stories260K): Prometheus' text format, its counters equal to what the
 * answers' usage says, and the machine owner's only; llama-server's /props and /slots, to any key.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatCompletion, ModelList} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

/** The samples of a scrape, by name with its labels as written (`kvshare_requests_total{mode="semantic"}`). */
async function scrape(key?: string): Promise<Map<string, number>> {
    const res = await server.api("/metrics", key == null ? {} : {headers: {authorization: `Bearer ${key}`}});
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = new Map<string, number>();
    for (const line of (await res.text()).split("\n")) {
        if (line === "" || line.startsWith("#")) continue;
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
        expect(match, line).not.toBeNull();
        samples.set(match![1]!, Number(match![2]));
    }
    return samples;
}

const lily = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball.";
const tom = "Once upon a time, there was a little boy named Tom. He loved to play outside in the park with his red ball.";

describe("GET /metrics", () => {
    it("counts the prompt, reused and generated tokens the answers' usage reports, and requests by how their KV was had", async () => {
        const before = await scrape();
        const answers: ChatCompletion[] = [];
        for (const content of [lily, tom]) {
            const res = await server.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "user", content}], max_tokens: 8, temperature: 0}});
            answers.push((await res.json()) as ChatCompletion);
            await server.core.requirePipeline().settled();
        }
        const after = await scrape();
        const grew = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
        const sum = (pick: (a: ChatCompletion) => number) => answers.reduce((total, a) => total + pick(a), 0);
        expect(grew("kvshare_prompt_tokens_total")).toBe(sum((a) => a.usage!.prompt_tokens));
        // llama-server's counts the tokens computed: those whose KV was reused are not.
        expect(grew("llamacpp:prompt_tokens_total")).toBe(sum((a) => a.usage!.prompt_tokens - (a.usage!.prompt_tokens_details?.cached_tokens ?? 0)));
        expect(grew("llamacpp:tokens_predicted_total")).toBe(sum((a) => a.usage!.completion_tokens));
        expect(grew("kvshare_prompt_tokens_reused_total")).toBe(sum((a) => a.usage!.prompt_tokens_details?.cached_tokens ?? 0));
        const modes = answers.map((a) => a.x_kvshare!.mode);
        for (const mode of new Set(modes)) expect(grew(`kvshare_requests_total{mode="${mode}"}`)).toBe(modes.filter((m) => m === mode).length);
        // Tom's prompt reused Lily's KV: the counters show sharing at work.
        expect(modes[1]).toBe("semantic");
        expect(after.get("kvshare_time_to_first_token_seconds_total")).toBeGreaterThan(0);
        // Gauges of now: nothing running, every sequence idle, the model named, the cache holding both prompts.
        expect(after.get("llamacpp:requests_processing")).toBe(0);
        expect(after.get('kvshare_sequences{state="busy"}')).toBe(0);
        expect(after.get('kvshare_model_loaded{model="stories260K"}')).toBe(1);
        expect(after.get("kvshare_cache_entries")).toBe(server.core.cache!.count());
        expect(after.get("kvshare_cache_bytes")).toBeGreaterThan(0);
        expect(after.get("kvshare_cache_budget_bytes")).toBe(server.core.settings.sharing.maxSnapshotBytes);
    });

    it("is the app's own key's: an issued key is refused, no key is asked for one", async () => {
        const {key} = server.core.keys.create("monitoring-tablet");
        const refused = await server.api("/metrics", {headers: {authorization: `Bearer ${key}`}});
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as {error: {code: string}}).error.code).toBe("admin_only");
        expect((await server.api("/metrics", {noAuth: true})).status).toBe(401);
    });
});

describe("GET /props", () => {
    it("tells llama-server's clients the context, sequences, model and template /v1/models and the server use, to any key", async () => {
        const models = (await (await server.api("/v1/models")).json()) as ModelList;
        const model = models.data[0]!;
        const {key} = server.core.keys.create("props-reader");
        const res = await server.api("/props", {headers: {authorization: `Bearer ${key}`}});
        expect(res.status).toBe(200);
        const props = (await res.json()) as Record<string, unknown> & {default_generation_settings: {n_ctx: number; params: {temperature: number}}};
        expect(props).toMatchObject({total_slots: model.meta!.parallel, model_alias: model.id, modalities: {vision: false, audio: false}});
        expect(props.default_generation_settings.n_ctx).toBe(model.meta!.context_size);
        expect(props.default_generation_settings.params.temperature).toBe(0.8);
        expect(props.chat_template).toBe(server.core.requirePipeline().runtime.prompts.templateName);
        expect(props.build_info).toMatch(/build/);
        // The model file's path names the owner's folders: not given.
        expect(JSON.stringify(props)).not.toContain(".gguf");
        expect((await server.api("/props", {noAuth: true})).status).toBe(401);
    });
});

describe("GET /slots", () => {
    it("lists each sequence as llama-server's slots do (context, busy, KV kept), to any key, and no prompt", async () => {
        const {key} = server.core.keys.create("slots-reader");
        const slots = async () => {
            const res = await server.api("/slots", {headers: {authorization: `Bearer ${key}`}});
            expect(res.status).toBe(200);
            return (await res.json()) as Array<{id: number; n_ctx: number; is_processing: boolean; n_past: number}>;
        };
        const runtime = server.core.requirePipeline().runtime;
        const idle = await slots();
        expect(idle.map((s) => s.id)).toEqual(Array.from({length: runtime.pool.size}, (_, i) => i));
        expect(idle.every((s) => s.n_ctx === runtime.contextSize && !s.is_processing)).toBe(true);
        // while an answer streams (its end of text banned: it runs until stopped), its sequence is busy
        const controller = new AbortController();
        const eos = runtime.model.tokens.eos!;
        const res = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {messages: [{role: "user", content: lily}], max_tokens: 400, temperature: 0, stream: true, logit_bias: {[eos]: -100}},
            signal: controller.signal
        });
        const reader = res.body!.getReader();
        await reader.read(); // the first event: the answer has begun
        const busy = await slots();
        expect(busy.filter((s) => s.is_processing).length).toBe(1);
        expect(busy.find((s) => s.is_processing)!.n_past).toBeGreaterThan(0);
        expect(JSON.stringify(busy)).not.toContain("Lily");
        controller.abort();
        await reader.cancel().catch(() => undefined);
        await server.core.requirePipeline().settled();
        await expect.poll(async () => (await slots()).some((s) => s.is_processing), {timeout: 10_000}).toBe(false);
        expect((await server.api("/slots", {noAuth: true})).status).toBe(401);
    });
});
