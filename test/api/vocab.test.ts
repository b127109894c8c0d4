import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {otherModelPath, startTestServer, type TestServer} from "../support/testServer.js";

// TinyStories-656K's SentencePiece vocabulary has no byte-fallback tokens: llama.cpp's tokenizer
// throws (and aborts the process) on characters such as '#'. The server must survive them.
let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({modelPath: otherModelPath});
});
afterAll(async () => {
    await server.close();
});

describe("a vocabulary without byte fallback", () => {
    it("serves chat (whose template has '###') and text with unencodable characters", async () => {
        const chat = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {messages: [{role: "user", content: "# Title {x} @home 100% & more ~ [ok]"}], max_tokens: 8}
        });
        expect(chat.status).toBe(200);
        const completion = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once upon a time # there was a cat", max_tokens: 8}});
        expect(completion.status).toBe(200);
        const embedding = await server.api("/v1/embeddings", {method: "POST", json: {input: "#hashtag"}});
        expect(embedding.status).toBe(200);
        expect((await server.api("/health")).status).toBe(200);
    });
});
