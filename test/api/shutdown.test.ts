/**
 * A shutdown with answers still streaming (a real server, stories260K): past the grace they are stopped, and each
 * client is told so in its stream (an error event and the stream's end), not cut off like a network failure.
 */
import {describe, expect, it} from "vitest";
import {startTestServer} from "../support/testServer.js";
import {readUntilFirstText} from "../support/waitFor.js";

describe("a shutdown with answers streaming", () => {
    it("ends each stream that outlives the grace with a server_stopping error and its end, chat and responses alike", async () => {
        const server = await startTestServer({overrides: {parallel: 2}});
        // Greedy "Once upon a time" runs the whole 1500 tokens on stories260K: nothing ends before the grace.
        const chat = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {messages: [{role: "user", content: "Once upon a time"}], max_tokens: 1500, temperature: 0, stream: true}
        });
        const responses = await server.api("/v1/responses", {
            method: "POST",
            json: {input: "Once upon a time", max_output_tokens: 1500, temperature: 0, stream: true}
        });
        expect([chat.status, responses.status]).toEqual([200, 200]);
        const restOf = async (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> => {
            const decoder = new TextDecoder();
            let text = "";
            for (;;) {
                const {value, done} = await reader.read();
                if (done) return text;
                text += decoder.decode(value, {stream: true});
            }
        };
        // Both are generating once the chat's first text is out (the responses stream started with it).
        const chatReader = await readUntilFirstText(chat);
        const streams = Promise.all([restOf(chatReader), restOf(responses.body!.getReader())]);
        await server.close(300);
        const [chatTail, responsesTail] = await streams;
        expect(chatTail).toMatch(/"code":"server_stopping"/);
        expect(chatTail.trimEnd()).toMatch(/data: \[DONE\]$/);
        expect(responsesTail).toMatch(/event: response\.failed/);
        expect(responsesTail).toMatch(/server_stopping/);
    });
});
