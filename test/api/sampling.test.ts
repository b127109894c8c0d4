import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {readGgufFileInfo} from "node-llama-cpp";
import {otherModelPath, startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    // stories260K rarely ends a story on its own within a few hundred tokens; this one ends "Once upon a time" at 169.
    server = await startTestServer({modelPath: otherModelPath});
});
afterAll(async () => {
    await server.close();
});

const model = "TinyStories-656K-Q8_0";
const chat = (content: string) => [{role: "user" as const, content}];

describe("finish_reason", () => {
    it("is stop when the model ends the answer itself, streamed or not, and length at the token limit", async () => {
        const ended = await server.client.completions.create({model, prompt: "Once upon a time", max_tokens: 400, temperature: 0});
        expect(ended.usage!.completion_tokens).toBeLessThan(400);
        expect(ended.choices[0]!.finish_reason).toBe("stop");

        const stream = await server.client.completions.create({model, prompt: "Once upon a time", max_tokens: 400, temperature: 0, stream: true});
        const reasons: string[] = [];
        let text = "";
        for await (const chunk of stream) {
            text += chunk.choices[0]?.text ?? "";
            if (chunk.choices[0]?.finish_reason != null) reasons.push(chunk.choices[0].finish_reason);
        }
        expect(reasons).toEqual(["stop"]);
        expect(text).toBe(ended.choices[0]!.text);

        const cut = await server.client.completions.create({model, prompt: "Once upon a time", max_tokens: ended.usage!.completion_tokens - 1, temperature: 0});
        expect(cut.choices[0]!.finish_reason).toBe("length");
        expect(cut.usage!.completion_tokens).toBe(ended.usage!.completion_tokens - 1);
    });
});

describe("seed", () => {
    it("draws a seed per request when none is given, even for requests sent at once", async () => {
        const ask = () => server.client.chat.completions.create({model, messages: chat("A frog jumped"), max_tokens: 24, temperature: 1.5});
        const answers = (await Promise.all([ask(), ask(), ask()])).map((c) => c.choices[0]!.message.content);
        expect(new Set(answers).size).toBe(3);
    });

    it("repeats an answer for the same seed, tells negative seeds from positive ones, and takes -1 as none", async () => {
        const ask = (seed: number) => server.client.chat.completions.create({model, messages: chat("A frog jumped"), max_tokens: 24, temperature: 1.5, seed});
        const first = (await ask(7)).choices[0]!.message.content;
        expect((await ask(7)).choices[0]!.message.content).toBe(first);
        expect((await ask(-7)).choices[0]!.message.content).not.toBe(first);
        // -1 wraps to llama.cpp's "no seed": each request draws one.
        expect((await ask(-1)).choices[0]!.message.content).not.toBe((await ask(-1)).choices[0]!.message.content);
    });
});

describe("structured output on a vocabulary without byte fallback", () => {
    it("is refused with a 400 saying why (llama.cpp's grammar sampling fails there), and the server goes on", async () => {
        const res = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {model, messages: chat("hi"), max_tokens: 20, response_format: {type: "json_object"}}
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as {error: {code: string; message: string}}).error).toMatchObject({
            code: "unsupported_schema",
            message: expect.stringMatching(/no byte fallback/)
        });
        const tool = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {model, messages: chat("hi"), max_tokens: 20, tools: [{type: "function", function: {name: "f"}}], tool_choice: "required"}
        });
        expect(tool.status).toBe(400);
        expect(((await tool.json()) as {error: {param: string}}).error.param).toBe("tool_choice");
        const after = await server.client.chat.completions.create({model, messages: chat("hi"), max_tokens: 4});
        expect(after.choices[0]!.message.content!.length).toBeGreaterThan(0);
    });
});

describe("logit_bias", () => {
    it("bans a token at -100 and makes one win at +100, on both routes, the end of text too; keys outside the vocabulary are a 400", async () => {
        const prompt = "Once upon a time";
        const tokenize = async (content: string) =>
            ((await (await server.api("/tokenize", {method: "POST", json: {content}})).json()) as {tokens: number[]}).tokens;
        // The greedy answer's first token, by its text (the logprobs entries); its id is among that text's tokens.
        const plain = await server.client.completions.create({model, prompt, max_tokens: 6, temperature: 0, logprobs: 0});
        const firstPiece = plain.choices[0]!.logprobs!.tokens![0]!;
        const ids = await tokenize(firstPiece);
        const banned = await server.client.completions.create({
            model,
            prompt,
            max_tokens: 6,
            temperature: 0,
            logprobs: 0,
            logit_bias: Object.fromEntries(ids.map((id) => [id, -100]))
        });
        expect(banned.choices[0]!.logprobs!.tokens![0]).not.toBe(firstPiece);
        expect(banned.choices[0]!.text).not.toBe(plain.choices[0]!.text);

        // Every token of the answer is the favoured one, whatever the model would say.
        const dog = (await tokenize(" dog")).at(-1)!;
        const dogPiece = ((await (await server.api("/detokenize", {method: "POST", json: {tokens: [dog]}})).json()) as {content: string}).content;
        const favoured = await server.client.chat.completions.create({
            model,
            messages: chat("Tell me a story."),
            max_tokens: 4,
            temperature: 0,
            logit_bias: {[dog]: 100}
        });
        expect(favoured.choices[0]!.message.content!.trim()).toBe(dogPiece.repeat(4).trim());

        // The end of text too (node-llama-cpp's own bias setter skips it): banned, the story that ends by itself goes on
        // to the token limit; favoured, the answer ends at once.
        const eos = (await readGgufFileInfo(otherModelPath)).metadata.tokenizer.ggml.eos_token_id!;
        const ended = await server.client.completions.create({model, prompt, max_tokens: 400, temperature: 0});
        expect(ended.choices[0]!.finish_reason).toBe("stop");
        const cap = ended.usage!.completion_tokens + 10;
        const endless = await server.client.completions.create({model, prompt, max_tokens: cap, temperature: 0, logit_bias: {[eos]: -100}});
        expect([endless.choices[0]!.finish_reason, endless.usage!.completion_tokens]).toEqual(["length", cap]);
        expect(endless.choices[0]!.text.startsWith(ended.choices[0]!.text)).toBe(true);
        const over = await server.client.chat.completions.create({model, messages: chat("Tell me a story."), max_tokens: 20, logit_bias: {[eos]: 100}});
        expect([over.choices[0]!.finish_reason, over.usage!.completion_tokens]).toEqual(["stop", 0]);

        for (const logit_bias of [{"99999": 5}, {"-1": 5}, {"1.5": 5}, {"5": 101}, {"5": "x"}, [1, 2]]) {
            const res = await server.api("/v1/completions", {method: "POST", json: {model, prompt, max_tokens: 2, logit_bias}});
            expect(res.status, JSON.stringify(logit_bias)).toBe(400);
            expect(((await res.json()) as {error: {param: string}}).error.param).toBe("logit_bias");
        }
    });
});
