import {describe, expect, it} from "vitest";
import {chatsAsJson} from "./chatExport.js";
import {NotAChatsFile, readChatsFile} from "./chatImport.js";
import {DEFAULT_PARAMS, type Conversation} from "./types.js";

const chat = (id: string, profile: string, title: string): Conversation => ({
    id,
    profile,
    title,
    systemPrompt: "Be brief.",
    params: {...DEFAULT_PARAMS, temperature: 0.3},
    createdAt: 10,
    updatedAt: 20,
    messages: [
        {id: "q", role: "user", content: `${title}?`, createdAt: 11},
        {
            id: "a",
            role: "assistant",
            content: "Yes.",
            createdAt: 12,
            stats: {finishReason: "stop"},
            alternatives: [[{id: "a0", role: "assistant", content: "No.", createdAt: 12}]],
            alternativeIndex: 1
        }
    ]
});

describe("reading a file of chats", () => {
    it("reads back what Download wrote, as new chats (new ids, the file's order on top), versions and settings kept", () => {
        const file = chatsAsJson([{...chat("c1", "Nurse", "Ward rounds"), pinned: true}, chat("c2", "Gone", "Old profile")]);
        const {chats, skipped} = readChatsFile(file, (profile) => (profile === "Nurse" ? "Nurse" : "Guest"), 1000);
        expect(skipped).toBe(0);
        expect(chats.map((c) => [c.title, c.profile])).toEqual([
            ["Ward rounds", "Nurse"],
            ["Old profile", "Guest"]
        ]);
        expect(chats.map((c) => c.id)).not.toContain("c1");
        expect(chats[0]!.updatedAt).toBeGreaterThan(chats[1]!.updatedAt);
        expect(chats[0]).toMatchObject({systemPrompt: "Be brief.", params: {temperature: 0.3}, pinned: true});
        expect(chats[1]!.pinned).toBe(false);
        expect(chats[0]!.messages[1]).toMatchObject({content: "Yes.", stats: {finishReason: "stop"}, alternatives: [[{content: "No."}]], alternativeIndex: 1});
        // Read twice: added twice, each with an id of its own.
        const again = readChatsFile(file, () => "Guest", 1000).chats;
        expect(again[0]!.id).not.toBe(chats[0]!.id);
    });

    it("takes of a message only what the page can draw: ids of its own, stats' numbers, no hit record, no date to come", () => {
        const hostile = JSON.stringify({
            format: "kvshare-chats",
            version: 1,
            conversations: [
                {
                    title: "Crafted",
                    messages: [
                        {id: "q", role: "user", content: "x", createdAt: 9e15},
                        {id: "q", role: "assistant", content: "y", createdAt: 2, stats: {tokensPerSecond: "x"}, hit: {mode: "semantic", reused_tokens: {}}},
                        {id: "<script>", role: "assistant", content: "z", createdAt: 3, stats: {finishReason: "stop", ttftMs: "9", promptTokens: 4, evil: {}}}
                    ]
                }
            ]
        });
        const [chat] = readChatsFile(hostile, () => "Guest", 1000).chats;
        const [q, a, b] = chat!.messages;
        expect(new Set(chat!.messages.map((m) => m.id)).size).toBe(3);
        expect(chat!.messages.map((m) => m.id)).not.toContain("<script>");
        expect(q!.createdAt).toBe(1000);
        expect(a!.stats).toBeUndefined();
        expect(a!.hit).toBeUndefined();
        expect(b!.stats).toEqual({finishReason: "stop", promptTokens: 4});
        // More messages than a chat holds: not a chat this app wrote.
        const many = JSON.stringify({
            format: "kvshare-chats",
            version: 1,
            conversations: [{title: "Huge", messages: Array.from({length: 5001}, (_, i) => ({role: "user", content: `m${i}`, createdAt: 1}))}]
        });
        expect(readChatsFile(many, () => "Guest")).toMatchObject({chats: [], skipped: 1});
    });

    it("skips entries that are no chat, and refuses a file that is not one of chats", () => {
        const good = JSON.parse(chatsAsJson([chat("c1", "Guest", "Fine")])) as {conversations: unknown[]};
        const file = JSON.stringify({
            ...good,
            conversations: [
                ...good.conversations,
                {title: "no messages", messages: []},
                {title: "a system message", messages: [{id: "s", role: "system", content: "x", createdAt: 1}]},
                {title: "a message of no text", messages: [{id: "q", role: "user", createdAt: 1}]},
                "not even an object"
            ]
        });
        const {chats, skipped} = readChatsFile(file, () => "Guest");
        expect(chats.map((c) => c.title)).toEqual(["Fine"]);
        expect(skipped).toBe(4);
        expect(() => readChatsFile("{not json", () => "Guest")).toThrow(NotAChatsFile);
        expect(() => readChatsFile(JSON.stringify({conversations: []}), () => "Guest")).toThrow(/not a file of chats/);
        expect(() => readChatsFile(JSON.stringify({format: "kvshare-chats", version: 2, conversations: []}), () => "Guest")).toThrow(/later version/);
    });
});
