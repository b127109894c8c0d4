import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

describe("POST /v1/completions", () => {
    it("continues a story (non-streaming and streaming agree)", async () => {
        const completion = await server.client.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 20, temperature: 0});
        expect(completion.object).toBe("text_completion");
        const text = completion.choices[0]!.text;
        expect(text).toMatch(/\w+/);
        const stream = await server.client.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 20, temperature: 0, stream: true});
        let streamed = "";
        for await (const chunk of stream) streamed += chunk.choices[0]?.text ?? "";
        expect(streamed).toBe(text);
    });

    it("honours stop strings", async () => {
        const free = await server.client.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 40, temperature: 0});
        const text = free.choices[0]!.text;
        const word = text.trim().split(/\s+/)[2]!;
        const stopped = await server.client.completions.create({
            model: "stories260K",
            prompt: "Once upon a time",
            max_tokens: 40,
            temperature: 0,
            stop: [word]
        });
        expect(stopped.choices[0]!.text).toBe(text.slice(0, text.indexOf(word)));
        expect(stopped.choices[0]!.finish_reason).toBe("stop");
        // More than OpenAI's 4 (an editor's code completion sends a stop per block keyword), up to 64.
        const many = Array.from({length: 63}, (_, i) => `never-said-${i}`);
        const manyStopped = await server.client.completions.create({
            model: "stories260K",
            prompt: "Once upon a time",
            max_tokens: 40,
            temperature: 0,
            stop: [...many, word]
        });
        expect(manyStopped.choices[0]!.text).toBe(stopped.choices[0]!.text);
        const tooMany = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once", max_tokens: 2, stop: [...many, word, "x"]}});
        expect(tooMany.status).toBe(400);
        expect(((await tooMany.json()) as {error: {param: string; message: string}}).error).toMatchObject({
            param: "stop",
            message: expect.stringContaining("64")
        });
        // Each is looked for after every token: a stop over 1,000 characters is refused.
        const tooLong = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once", max_tokens: 2, stop: ["x".repeat(1001)]}});
        expect(tooLong.status).toBe(400);
        expect(((await tooLong.json()) as {error: {param: string}}).error.param).toBe("stop");
    });

    it("takes the prompt as token ids (as evaluation harnesses send it): the same answer as its text", async () => {
        const prompt = "Once upon a time";
        const tokens = ((await (await server.api("/tokenize", {method: "POST", json: {content: prompt, add_special: true}})).json()) as {tokens: number[]})
            .tokens;
        const asText = await server.client.completions.create({model: "stories260K", prompt, max_tokens: 12, temperature: 0});
        for (const given of [tokens, [tokens]]) {
            const asIds = await server.client.completions.create({model: "stories260K", prompt: given, max_tokens: 12, temperature: 0, echo: true});
            expect(asIds.usage!.prompt_tokens).toBe(tokens.length);
            // Echoed as the text prompt would be: the start token is no text.
            expect(asIds.choices[0]!.text).toBe(prompt + asText.choices[0]!.text);
        }
        for (const [bad, param] of [
            [[1, 999_999], "prompt"],
            [["a", "b"], "prompt"],
            [[[1], [2]], "prompt"]
        ] as const) {
            const res = await server.api("/v1/completions", {method: "POST", json: {prompt: bad, max_tokens: 2}});
            expect(res.status, JSON.stringify(bad)).toBe(400);
            expect(((await res.json()) as {error: {param: string}}).error.param).toBe(param);
        }
    });
});

describe("POST /v1/embeddings", () => {
    it("returns unit-length float vectors of the model's width; other dimensions are a 400", async () => {
        const res = await server.client.embeddings.create({model: "stories260K", input: ["a cat", "a dog"], encoding_format: "float", dimensions: 64});
        expect(res.data).toHaveLength(2);
        expect(res.data[0]!.embedding).toHaveLength(64);
        expect(res.data[0]!.embedding).not.toEqual(res.data[1]!.embedding);
        // Unit length: a dot product is the cosine, as clients of OpenAI's embeddings compute it.
        for (const {embedding} of res.data) expect(Math.hypot(...embedding)).toBeCloseTo(1, 5);
        expect(res.usage.prompt_tokens).toBeGreaterThan(0);

        const shorter = await server.api("/v1/embeddings", {method: "POST", json: {input: "a cat", dimensions: 8}});
        expect(shorter.status).toBe(400);
        expect(((await shorter.json()) as {error: {param: string; code: string}}).error).toMatchObject({param: "dimensions", code: "unsupported_parameter"});
    });

    it("returns the same vector in base64 (the SDK's default encoding)", async () => {
        const viaSdk = await server.client.embeddings.create({model: "stories260K", input: "a cat"});
        const asFloat = await server.client.embeddings.create({model: "stories260K", input: "a cat", encoding_format: "float"});
        const a = viaSdk.data[0]!.embedding;
        const b = asFloat.data[0]!.embedding;
        expect(a).toHaveLength(64);
        a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 4));
    });

    it("takes token ids, one list or several, as the OpenAI API allows; ids outside the vocabulary are a 400", async () => {
        const tokenize = async (content: string) =>
            ((await (await server.api("/tokenize", {method: "POST", json: {content}})).json()) as {tokens: number[]}).tokens;
        const [cat, dog] = [await tokenize("a cat"), await tokenize("a dog")];
        const byText = await server.client.embeddings.create({model: "stories260K", input: ["a cat", "a dog"], encoding_format: "float"});
        const one = await server.client.embeddings.create({model: "stories260K", input: cat, encoding_format: "float"});
        const several = await server.client.embeddings.create({model: "stories260K", input: [cat, dog], encoding_format: "float"});
        expect(one.data).toHaveLength(1);
        expect(several.data).toHaveLength(2);
        expect(several.usage.prompt_tokens).toBe(cat.length + dog.length);
        // The text's own tokens embed to the text's vector.
        one.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(byText.data[0]!.embedding[i]!, 5));
        several.data[1]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(byText.data[1]!.embedding[i]!, 5));

        for (const [input, param] of [
            [[cat, [1e9]], "input[1]"],
            [[cat, []], "input"],
            [["a cat", cat], "input"],
            [[1.5], "input"]
        ] as const) {
            const res = await server.api("/v1/embeddings", {method: "POST", json: {input}});
            expect(res.status).toBe(400);
            expect(((await res.json()) as {error: {param: string}}).error.param).toBe(param);
        }
    });
});

describe("GET /v1/models", () => {
    it("lists the loaded model and retrieves it by id", async () => {
        const list = await server.client.models.list();
        expect(list.data.map((m) => m.id)).toEqual(["stories260K"]);
        const model = await server.client.models.retrieve("stories260K");
        expect(model.id).toBe("stories260K");
        expect(model.owned_by).toBe("local");
    });

    it("reports health publicly as up/down only, details to the app's own key", async () => {
        const res = await server.api("/health", {noAuth: true});
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({status: "ok"});
        const issued = server.core.keys.create("health-check").key;
        const other = await server.api("/health", {headers: {authorization: `Bearer ${issued}`}});
        expect(await other.json()).toEqual({status: "ok"});
        const owner = await server.api("/health");
        expect(await owner.json()).toMatchObject({status: "ok", model: "stories260K", slots_idle: 4, slots_busy: 0, queued: 0});
    });
});
