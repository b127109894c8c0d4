import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(() => server.close());

/** The same continuation decoded in one go, with the prompt as context: what the text must read. */
function referenceContinuation(prompt: string, completionText: string): {prompt: string; whole: string} {
    const model = server.core.requirePipeline().runtime.model;
    const promptTokens = model.tokenize(prompt, false);
    const wholeTokens = model.tokenize(prompt + completionText, false);
    return {prompt: model.detokenize(promptTokens), whole: model.detokenize(wholeTokens)};
}

describe("text continuations keep the space before their first word", () => {
    it("completions, with and without echo, streamed and not", async () => {
        for (const prompt of ["Once upon", "Once upon a time, there was a little", "The dog"]) {
            const plain = await server.client.completions.create({model: "stories260K", prompt, max_tokens: 6, temperature: 0});
            const text = plain.choices[0]?.text ?? "";
            // stories260K continues these prompts with a new word: the answer starts with its space.
            expect(text, prompt).toMatch(/^ \S/);
            const echoed = await server.client.completions.create({model: "stories260K", prompt, max_tokens: 6, temperature: 0, echo: true});
            expect(echoed.choices[0]?.text).toBe(prompt + text);
            const stream = await server.client.completions.create({model: "stories260K", prompt, max_tokens: 6, temperature: 0, stream: true});
            let streamed = "";
            for await (const chunk of stream) streamed += chunk.choices[0]?.text ?? "";
            expect(streamed).toBe(text);
            // Tokenizing prompt + answer and decoding it gives the same words (no glued "upona").
            const reference = referenceContinuation(prompt, text);
            expect(reference.whole).toBe(reference.prompt + text);
        }
    });

    it("chat answers stream exactly as they are answered whole", async () => {
        const messages = [{role: "user" as const, content: "Tell me a story about a cat."}];
        const whole = await server.client.chat.completions.create({model: "stories260K", messages, max_tokens: 12, temperature: 0});
        const content = whole.choices[0]?.message.content ?? "";
        const stream = await server.client.chat.completions.create({model: "stories260K", messages, max_tokens: 12, temperature: 0, stream: true});
        let streamed = "";
        for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
        expect(streamed).toBe(content);
        expect(content).not.toMatch(/[a-z][A-Z]/);
    });
});
