import {describe, expect, it} from "vitest";
import {byLastActivity, lastActiveAt} from "./chatActivity.js";
import {DEFAULT_PARAMS, type Conversation, type StoredMessage} from "./types.js";

const message = (id: string, createdAt: number, alternatives?: StoredMessage[][]): StoredMessage => ({
    id,
    role: "user",
    content: id,
    createdAt,
    ...(alternatives == null ? {} : {alternatives, alternativeIndex: 0})
});

const chat = (id: string, createdAt: number, updatedAt: number, messages: StoredMessage[] = []): Conversation => ({
    id,
    title: id,
    profile: "Guest",
    systemPrompt: "",
    params: {...DEFAULT_PARAMS},
    messages,
    createdAt,
    updatedAt
});

describe("lastActiveAt", () => {
    it("is the newest message's time, those of versions not shown included, not the sync version", () => {
        const shown = [message("q", 100), message("a", 200, [[message("a2", 500)]])];
        expect(lastActiveAt(chat("c", 50, 9_000, shown))).toBe(500);
        expect(lastActiveAt(chat("c", 50, 9_000, [message("q", 100)]))).toBe(100);
    });

    it("is the time the chat was made where it has no message", () => {
        expect(lastActiveAt(chat("c", 50, 9_000))).toBe(50);
    });
});

describe("byLastActivity", () => {
    it("lists by the last message, newest first; a later rename (sync version) does not move a chat up", () => {
        const renamed = chat("renamed", 0, 9_000, [message("old", 100)]);
        const recent = chat("recent", 0, 400, [message("new", 300)]);
        const empty = chat("empty", 200, 200);
        const input = [renamed, empty, recent];
        expect(byLastActivity(input).map((c) => c.id)).toEqual(["recent", "empty", "renamed"]);
        expect(input.map((c) => c.id)).toEqual(["renamed", "empty", "recent"]);
    });

    it("puts the later sync version first where the last messages are of one time", () => {
        const a = chat("a", 0, 1_000, [message("m", 100)]);
        const b = chat("b", 0, 2_000, [message("n", 100)]);
        expect(byLastActivity([a, b]).map((c) => c.id)).toEqual(["b", "a"]);
    });
});
