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
});
