import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const story = [{role: "user" as const, content: "Once upon a time, there was a little girl named Lily."}];

describe("POST /v1/chat/completions", () => {
    it("answers with the official openai client (non-streaming)", async () => {
        const completion = await server.client.chat.completions.create({model: "stories260K", messages: story, max_tokens: 24, temperature: 0});
        expect(completion.object).toBe("chat.completion");
        expect(completion.id).toMatch(/^chatcmpl-/);
        expect(completion.model).toBe("stories260K");
        const choice = completion.choices[0]!;
        expect(choice.message.role).toBe("assistant");
        expect(choice.message.content!.length).toBeGreaterThan(10);
        expect(["stop", "length"]).toContain(choice.finish_reason);
        expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
        expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(24);
        expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
        expect(completion.usage!.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(0);
    });

    it("is deterministic when greedy", async () => {
        const ask = () => server.client.chat.completions.create({messages: story, max_tokens: 20, temperature: 0, model: "stories260K"});
        const [a, b] = [await ask(), await ask()];
        expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
        // The second identical prompt reuses the first one's KV prefix.
        expect(b.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThan(0);
    });

    it("streams in OpenAI's format with a final usage chunk", async () => {
        const stream = await server.client.chat.completions.create({
            model: "stories260K",
            messages: story,
            max_tokens: 16,
            temperature: 0,
            stream: true,
            stream_options: {include_usage: true}
        });
        const chunks = [];
        for await (const chunk of stream) chunks.push(chunk);
        expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
        const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
        expect(text.length).toBeGreaterThan(5);
        expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
        const finish = chunks.find((c) => c.choices[0]?.finish_reason != null);
        expect(finish?.choices[0]?.finish_reason).toMatch(/stop|length/);
        const last = chunks.at(-1)!;
        expect(last.choices).toEqual([]);
        expect(last.usage!.completion_tokens).toBeGreaterThan(0);
        // Streamed text equals the non-streamed greedy answer.
        const whole = await server.client.chat.completions.create({model: "stories260K", messages: story, max_tokens: 16, temperature: 0});
        expect(text).toBe(whole.choices[0]!.message.content);
    });

    it("ends the raw SSE stream with data: [DONE]", async () => {
        const res = await server.api("/v1/chat/completions", {method: "POST", json: {messages: story, max_tokens: 4, stream: true}});
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
        const body = await res.text();
        expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
        expect(body.split("\n\n").filter((e) => e.startsWith("data: ")).length).toBeGreaterThan(2);
    });

    it("also answers without the /v1 prefix and ignores unknown fields", async () => {
        const res = await server.api("/chat/completions", {
            method: "POST",
            json: {messages: story, max_tokens: 4, some_future_field: {x: 1}, cache_prompt: true}
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as {choices: unknown[]};
        expect(body.choices).toHaveLength(1);
    });

    it("serves four concurrent clients with complete, separate answers", async () => {
        const prompts = ["Tom had a red ball.", "The cat was very sleepy.", "Sue went to the park.", "A big dog ran fast."];
        const ask = (content: string) =>
            server.client.chat.completions.create({
                model: "stories260K",
                messages: [{role: "user", content}],
                max_tokens: 24,
                temperature: 0
            });
        const alone = [];
        for (const p of prompts) alone.push((await ask(p)).choices[0]!.message.content);
        const together = await Promise.all(prompts.map(ask));
        expect(together.map((c) => c.choices[0]!.message.content)).toEqual(alone);
        expect(new Set(together.map((c) => c.id)).size).toBe(4);
        for (const c of together) expect(c.usage!.completion_tokens).toBeGreaterThan(0);
    });
});
