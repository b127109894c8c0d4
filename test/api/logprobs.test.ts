import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatTokenLogprob, Completion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const model = "stories260K";
const messages = [{role: "user" as const, content: "The little dog found a ball"}];

describe("logprobs", () => {
    it("chat: one entry per answer token, the greedy choice the likeliest of its step, the same streamed", async () => {
        const done = await server.client.chat.completions.create({model, messages, max_tokens: 16, temperature: 0, logprobs: true, top_logprobs: 3});
        const choice = done.choices[0]!;
        const content = choice.logprobs!.content as unknown as ChatTokenLogprob[];
        expect(content.length).toBe(done.usage!.completion_tokens);
        expect(content.map((e) => e.token).join("")).toBe(choice.message.content);
        for (const entry of content) {
            expect(entry.logprob).toBeLessThanOrEqual(0);
            expect(entry.top_logprobs.length).toBe(3);
            const tops = entry.top_logprobs.map((t) => t.logprob);
            expect([...tops].sort((a, b) => b - a)).toEqual(tops);
            // Greedy decoding takes the likeliest token: it heads the alternatives.
            expect(entry.top_logprobs[0]!.token).toBe(entry.token);
            expect(entry.top_logprobs[0]!.logprob).toBe(entry.logprob);
            expect(tops.reduce((sum, lp) => sum + Math.exp(lp), 0)).toBeLessThanOrEqual(1.0001);
            expect(Buffer.from(entry.bytes).toString("utf8")).toBe(entry.token);
        }

        const stream = await server.client.chat.completions.create({
            model,
            messages,
            max_tokens: 16,
            temperature: 0,
            logprobs: true,
            top_logprobs: 3,
            stream: true
        });
        const streamed: ChatTokenLogprob[] = [];
        let text = "";
        for await (const chunk of stream) {
            const c = chunk.choices[0];
            if (c == null) continue;
            text += c.delta.content ?? "";
            streamed.push(...((c.logprobs?.content ?? []) as unknown as ChatTokenLogprob[]));
        }
        expect(text).toBe(choice.message.content);
        expect(streamed).toEqual(content);

        // Sampled: the chosen token is not always the likeliest, but it has its own log-probability.
        const sampled = await server.client.chat.completions.create({model, messages, max_tokens: 16, temperature: 1.5, seed: 5, logprobs: true});
        for (const entry of sampled.choices[0]!.logprobs!.content as unknown as ChatTokenLogprob[]) {
            expect(entry.logprob).toBeGreaterThan(-9999);
            expect(entry.top_logprobs).toEqual([]);
        }
        const plain = await server.client.chat.completions.create({model, messages, max_tokens: 4});
        expect(plain.choices[0]!.logprobs).toBeNull();
    });

    it("text completions: the legacy shape, offsets into the returned text (after an echoed prompt)", async () => {
        const prompt = "Once upon a time";
        const response = await server.api("/v1/completions", {method: "POST", json: {model, prompt, max_tokens: 12, temperature: 0, logprobs: 2, echo: true}});
        expect(response.status).toBe(200);
        const body = (await response.json()) as Completion;
        const choice = body.choices[0]!;
        const lp = choice.logprobs!;
        expect(lp.tokens.length).toBe(body.usage!.completion_tokens);
        expect(lp.text_offset[0]).toBe(prompt.length);
        lp.tokens.forEach((token, i) => {
            expect(choice.text.slice(lp.text_offset[i], lp.text_offset[i]! + token.length)).toBe(token);
            expect(Object.keys(lp.top_logprobs[i]!).length).toBeLessThanOrEqual(2);
            expect(Math.max(...Object.values(lp.top_logprobs[i]!))).toBe(lp.token_logprobs[i]);
        });
    });

    it("gives byte-fallback tokens their own byte, so the entries' bytes make the text; text offsets count characters", async () => {
        const response_format = {type: "json_schema" as const, json_schema: {name: "w", schema: {enum: ["日本", "ünï 😀"]}}};
        for (const seed of [1, 2, 3]) {
            const done = await server.client.chat.completions.create({model, messages, max_tokens: 30, temperature: 1, seed, logprobs: true, response_format});
            const content = done.choices[0]!.message.content!;
            const entries = done.choices[0]!.logprobs!.content as unknown as ChatTokenLogprob[];
            expect(Buffer.from(entries.flatMap((e) => e.bytes)).toString("utf8")).toBe(content);
        }
        const prompt = "😀 日本:";
        const res = await server.api("/v1/completions", {method: "POST", json: {model, prompt, max_tokens: 6, temperature: 0, logprobs: 0, echo: true}});
        const choice = ((await res.json()) as Completion).choices[0]!;
        expect(choice.logprobs!.text_offset[0]).toBe([...prompt].length);
    });

    it("refuses what OpenAI refuses", async () => {
        const chat = (extra: object) => server.api("/v1/chat/completions", {method: "POST", json: {model, messages, max_tokens: 4, ...extra}});
        for (const [extra, param] of [
            [{top_logprobs: 2}, "top_logprobs"],
            [{logprobs: true, top_logprobs: 21}, "top_logprobs"],
            [{logprobs: 3}, "logprobs"]
        ] as const) {
            const response = await chat(extra);
            expect(response.status, JSON.stringify(extra)).toBe(400);
            expect(((await response.json()) as {error: {param: string}}).error.param).toBe(param);
        }
        const text = await server.api("/v1/completions", {method: "POST", json: {model, prompt: "A", max_tokens: 4, logprobs: true}});
        expect(text.status).toBe(400);
    });
});
