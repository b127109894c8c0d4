import {describe, expect, it} from "vitest";
import {byLastActivity, lastActiveAt, listedAfter, listPlace, type MessageTimes} from "./chatActivity.js";

const message = (createdAt: number, alternatives?: MessageTimes[][]): MessageTimes => ({createdAt, ...(alternatives == null ? {} : {alternatives})});

const chat = (id: string, createdAt: number, updatedAt: number, messages: MessageTimes[] = []) => ({id, createdAt, updatedAt, messages});

describe("lastActiveAt", () => {
    it("is the newest message's time, those of versions not shown included, not the sync version", () => {
        const shown = [message(100), message(200, [[message(500)]])];
        expect(lastActiveAt(chat("c", 50, 9_000, shown))).toBe(500);
        expect(lastActiveAt(chat("c", 50, 9_000, [message(100)]))).toBe(100);
    });

    it("is the time the chat was made where it has no message", () => {
        expect(lastActiveAt(chat("c", 50, 9_000))).toBe(50);
    });
});

describe("byLastActivity", () => {
    it("lists by the last message, newest first; a later rename (sync version) does not move a chat up", () => {
        const renamed = chat("renamed", 0, 9_000, [message(100)]);
        const recent = chat("recent", 0, 400, [message(300)]);
        const empty = chat("empty", 200, 200);
        const input = [renamed, empty, recent];
        expect(byLastActivity(input).map((c) => c.id)).toEqual(["recent", "empty", "renamed"]);
        expect(input.map((c) => c.id)).toEqual(["renamed", "empty", "recent"]);
    });

    it("puts the later sync version first where the last messages are of one time", () => {
        const a = chat("a", 0, 1_000, [message(100)]);
        const b = chat("b", 0, 2_000, [message(100)]);
        expect(byLastActivity([a, b]).map((c) => c.id)).toEqual(["b", "a"]);
    });
});

describe("listedAfter", () => {
    it("orders by last activity, then sync version, then id, as byLastActivity sorts and the server pages", () => {
        const chats = [chat("b", 0, 5, [message(10)]), chat("a", 0, 5, [message(10)]), chat("c", 0, 9, [message(10)]), chat("d", 0, 1, [message(20)])];
        const sorted = byLastActivity(chats).map((c) => c.id);
        expect(sorted).toEqual(["d", "c", "b", "a"]);
        // each chat is after every one before it, and not after itself
        for (let i = 1; i < sorted.length; i++) {
            const at = (id: string | undefined) => listPlace(chats.find((c) => c.id === id)!);
            expect(listedAfter(at(sorted[i]), at(sorted[i - 1]))).toBe(true);
            expect(listedAfter(at(sorted[i - 1]), at(sorted[i]))).toBe(false);
            expect(listedAfter(at(sorted[i]), at(sorted[i]))).toBe(false);
        }
    });
});
