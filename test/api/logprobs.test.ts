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
        // The echoed prompt's tokens first (scored), then the answer's.
        const promptTokens = body.usage!.prompt_tokens;
        expect(lp.tokens.length).toBe(promptTokens + body.usage!.completion_tokens);
        expect(lp.text_offset[0]).toBe(0);
        expect(lp.text_offset[promptTokens]).toBe(prompt.length);
        lp.tokens.forEach((token, i) => {
            expect(choice.text.slice(lp.text_offset[i], lp.text_offset[i]! + token.length)).toBe(token);
            if (i < promptTokens) return;
            expect(Object.keys(lp.top_logprobs[i]!).length).toBeLessThanOrEqual(2);
            expect(Math.max(...Object.values(lp.top_logprobs[i]!))).toBe(lp.token_logprobs[i]);
        });
        const answerOnly = (await (
            await server.api("/v1/completions", {method: "POST", json: {model, prompt, max_tokens: 12, temperature: 0, logprobs: 2}})
        ).json()) as Completion;
        expect(answerOnly.choices[0]!.logprobs!.tokens).toEqual(lp.tokens.slice(promptTokens));
        expect(answerOnly.choices[0]!.logprobs!.text_offset[0]).toBe(0);
    });

    it("gives byte-fallback tokens their own byte, so the entries' bytes make the text; text offsets count characters", async () => {
        const response_format = {type: "json_schema" as const, json_schema: {name: "w", schema: {enum: ["日本", "ünï 😀"]}}};
        for (const seed of [1, 2, 3]) {
            const done = await server.client.chat.completions.create({model, messages, max_tokens: 30, temperature: 1, seed, logprobs: true, response_format});
            const content = done.choices[0]!.message.content!;
            const entries = done.choices[0]!.logprobs!.content as unknown as ChatTokenLogprob[];
            expect(Buffer.from(entries.flatMap((e) => e.bytes)).toString("utf8")).toBe(content);
            // A byte of a split character is named by its bytes, as OpenAI names one ("bytes:\\xe6"); a whole one by its text.
            for (const e of entries) {
                const own = Buffer.from(e.bytes).toString("utf8");
                if (own.includes("\uFFFD")) expect(e.token).toBe(`bytes:${e.bytes.map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}`);
                else expect(e.token).toBe(own);
            }
        }
        const prompt = "😀 日本:";
        const res = await server.api("/v1/completions", {method: "POST", json: {model, prompt, max_tokens: 6, temperature: 0, logprobs: 0, echo: true}});
        const done = (await res.json()) as Completion;
        const lp = done.choices[0]!.logprobs!;
        expect(lp.text_offset[done.usage!.prompt_tokens]).toBe([...prompt].length);
        // Each token's offset is where its character starts: the bytes of "😀" all at 0, then " " at 1.
        expect(lp.tokens.some((t) => t.startsWith("bytes:"))).toBe(true);
        const starts = lp.text_offset.slice(0, done.usage!.prompt_tokens);
        expect([...new Set(starts)]).toEqual([...new Set(starts)].sort((a, b) => a - b));
        expect(starts.at(-1)).toBeLessThan([...prompt].length);
    });

    it("streams text offsets that agree with the whole answer's, though a token's text began in an earlier chunk", async () => {
        const base = {model, prompt: "Once upon a time", max_tokens: 30, temperature: 0, logprobs: 0};
        const whole = await server.client.completions.create(base);
        const lp = whole.choices[0]!.logprobs!;
        // A stop that never matches but begins with the end of a word of the answer: that end is held back (it may be
        // the stop) and sent with the next chunk, while its token's entry waits for the text through it.
        const word = whole.choices[0]!.text.split(" ").find((w) => /^[a-z]{4,}$/i.test(w))!;
        const stop = `${word.slice(-2)}Zq#`;
        const stream = await server.client.completions.create({...base, stop, stream: true});
        const tokens: string[] = [];
        const offsets: number[] = [];
        for await (const chunk of stream) {
            tokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
            offsets.push(...(chunk.choices[0]?.logprobs?.text_offset ?? []));
        }
        expect(tokens).toEqual(lp.tokens);
        expect(offsets).toEqual(lp.text_offset);
    });

    it("sends no token past a stop string: the entries' tokens make the text cut at the stop, streamed or not", async () => {
        const base = {model, prompt: "Once upon a time", max_tokens: 30, temperature: 0};
        const free = (await server.client.completions.create(base)).choices[0]!.text;
        const words = free.split(" ");
        // A stop that begins at a word (held back while it may be the stop) and one that is a whole later phrase.
        for (const stop of [` ${words[4]!}`, ` ${words[6]!} ${words[7]!}`]) {
            const cut = free.slice(0, free.indexOf(stop));
            const done = await server.client.completions.create({...base, stop, logprobs: 1});
            expect(done.choices[0]!.text, stop).toBe(cut);
            expect(done.choices[0]!.logprobs!.tokens!.join(""), stop).toBe(cut);
            const stream = await server.client.completions.create({...base, stop, logprobs: 1, stream: true});
            let text = "";
            const tokens: string[] = [];
            for await (const chunk of stream) {
                text += chunk.choices[0]?.text ?? "";
                tokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
            }
            expect(text, stop).toBe(cut);
            expect(tokens.join(""), stop).toBe(cut);
        }
        // A stop that starts inside a token ("named Lily" in " named"): the text stops before it, and the token that
        // reaches past the stop's start is not sent (the entries make the text up to that token's start: all but its space).
        const inside = `${words[6]!} ${words[7]!}`;
        const cut = free.slice(0, free.indexOf(inside));
        const done = await server.client.completions.create({...base, stop: inside, logprobs: 1});
        expect(done.choices[0]!.text).toBe(cut);
        expect(done.choices[0]!.logprobs!.tokens!.join("")).toBe(cut.slice(0, -1));
        const stream = await server.client.completions.create({...base, stop: inside, logprobs: 1, stream: true});
        const tokens: string[] = [];
        for await (const chunk of stream) tokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
        expect(tokens.join("")).toBe(cut.slice(0, -1));
    });

    it("text completions with echo and logprobs score the prompt's own tokens, as evaluation harnesses read them", async () => {
        // Longer than one scoring batch (32 tokens): the scores go on across batches.
        const prompt =
            "Once upon a time there was a little girl named Lily. She loved to play in the park with her friend Tom. One day they found a big red ball under a tree. She";
        const ids = ((await (await server.api("/tokenize", {method: "POST", json: {content: prompt, add_special: true}})).json()) as {tokens: number[]}).tokens;
        const complete = async (json: object) => {
            const res = await server.api("/v1/completions", {method: "POST", json: {model, temperature: 0, ...json}});
            expect(res.status).toBe(200);
            return (await res.json()) as Completion & {x_kvshare: {reused_tokens: number}};
        };
        // Served once first, so that an exact donor (and the sequence's own prefix) is there to be reused.
        await complete({prompt, max_tokens: 1});
        const scored = await complete({prompt, max_tokens: 1, logprobs: 5, echo: true});
        const lp = scored.choices[0]!.logprobs!;
        expect(scored.usage!.prompt_tokens).toBe(ids.length);
        expect(lp.token_logprobs).toHaveLength(ids.length + 1);
        // Nothing before the first token scores it; every later one has its log-probability and alternatives.
        expect(lp.token_logprobs[0]).toBeNull();
        expect(lp.top_logprobs[0]).toBeNull();
        for (const value of lp.token_logprobs.slice(1)) expect(value).toBeLessThanOrEqual(0);
        expect(lp.tokens.join("")).toBe(scored.choices[0]!.text);
        // Scores need every prompt token computed: nothing was reused.
        expect(scored.x_kvshare.reused_tokens).toBe(0);
        // Nor was a donor looked for (none could be used).
        expect((scored.x_kvshare as {stages?: {embed_ms?: number}}).stages?.embed_ms ?? 0).toBe(0);
        expect(scored.usage!.prompt_tokens_details?.cached_tokens ?? 0).toBe(0);

        // A prompt token's score is the model's distribution after the tokens before it: the same as the
        // alternatives of a one-token answer to those tokens alone (computed in other batches, on a GPU too: float
        // rounding, so compared as probabilities).
        expect(ids.length).toBeGreaterThan(40);
        // Sharing off for these: a donor's KV (another prompt's, moved) shifts a distribution, as it is meant to.
        server.core.settings.sharing.enabled = false;
        try {
            for (const at of [3, 8, 33, 34, ids.length - 1]) {
                const next = await complete({prompt: ids.slice(0, at), max_tokens: 1, logprobs: 5});
                const alternatives = next.choices[0]!.logprobs!.top_logprobs[0]!;
                expect(Object.keys(lp.top_logprobs[at]!)).toEqual(Object.keys(alternatives));
                for (const [token, value] of Object.entries(alternatives)) expect(Math.exp(lp.top_logprobs[at]![token]!)).toBeCloseTo(Math.exp(value), 2);
                const own = lp.tokens[at]!;
                if (own in alternatives) expect(Math.exp(lp.token_logprobs[at]!)).toBeCloseTo(Math.exp(alternatives[own]!), 2);
            }
        } finally {
            server.core.settings.sharing.enabled = true;
        }

        // Streamed: the echoed prompt's chunk carries the same scores.
        const res = await server.api("/v1/completions", {
            method: "POST",
            json: {model, prompt, max_tokens: 1, logprobs: 5, echo: true, temperature: 0, stream: true}
        });
        const chunks = (await res.text())
            .split("\n")
            .filter((line) => line.startsWith("data: {"))
            .map((line) => JSON.parse(line.slice(6)) as Completion);
        expect(chunks[0]!.choices[0]!.text).toBe(prompt);
        expect(chunks[0]!.choices[0]!.logprobs!.token_logprobs).toEqual(lp.token_logprobs.slice(0, ids.length));
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
