import {describe, expect, it} from "vitest";
import type {PlainMessage} from "../runtime/PromptBuilder.js";
import {fitConversation} from "./fitConversation.js";

/** A prompt's length as its messages' characters: enough to follow which messages are kept. */
const length = (messages: PlainMessage[]) => messages.reduce((sum, m) => sum + m.content.length, 0);
const roles = (messages: PlainMessage[]) => messages.map((m) => `${m.role}:${m.content}`);

describe("fitConversation", () => {
    const chat: PlainMessage[] = [
        {role: "system", content: "sys"},
        {role: "assistant", content: "hello"},
        {role: "user", content: "q1"},
        {role: "assistant", content: "", calls: [{id: "c", name: "f", arguments: "{}"}]},
        {role: "user", content: "result", result: {callId: "c"}},
        {role: "assistant", content: "a1"},
        {role: "user", content: "q2"},
        {role: "assistant", content: "a2"},
        {role: "user", content: "q3"}
    ];

    it("keeps everything that fits, a greeting before the first question included", () => {
        expect(fitConversation(chat, 2048, length, () => true)).toEqual({messages: chat, dropped: 0});
    });

    it("leaves out the oldest messages, never starting on an answer or a result whose question went", () => {
        // Room for the system prompt and about one turn: q1's call, its result and answer go with q1.
        const fitted = fitConversation(chat, 2048, length, (n) => n <= 12);
        expect(roles(fitted.messages)).toEqual(["system:sys", "user:q2", "assistant:a2", "user:q3"]);
        expect(fitted.dropped).toBe(5);
        // The last question stays even when nothing else does; what still does not fit is the caller's error.
        expect(roles(fitConversation(chat, 2048, length, () => false).messages)).toEqual(["system:sys", "user:q3"]);
    });

    it("fits a chat of thousands of messages in n·log n (one step per message left out would take minutes)", () => {
        const turn = "Lily and Tom went to the park with their dog and played with a red ball until the sun went down. ".repeat(2);
        const many: PlainMessage[] = Array.from({length: 20_000}, (_, i) => ({role: i % 2 === 0 ? "user" : "assistant", content: turn}));
        many.push({role: "user", content: "And then?"});
        let tokenized = 0;
        const fitted = fitConversation(
            many,
            2048,
            (kept) => (tokenized++, length(kept) / 4),
            (tokens) => tokens <= 2000
        );
        expect(fitted.messages.at(-1)!.content).toBe("And then?");
        expect(length(fitted.messages) / 4).toBeLessThanOrEqual(2000);
        // One more turn would not fit, and only a handful of prompts were built.
        expect(length(many.slice(many.length - fitted.messages.length - 2)) / 4).toBeGreaterThan(2000);
        expect(tokenized).toBeLessThan(40);
    });
});
