import {describe, expect, it} from "vitest";
import {groupChats} from "./chatGroups.js";
import {DEFAULT_PARAMS, type Conversation} from "./types.js";

const chat = (id: string, updatedAt: number): Conversation => ({
    id,
    title: id,
    profile: "Guest",
    systemPrompt: "",
    params: {...DEFAULT_PARAMS},
    messages: [],
    createdAt: updatedAt,
    updatedAt
});

describe("groupChats", () => {
    it("puts the pinned chats on top, newest first, whatever their age, and each other chat under its time", () => {
        const now = new Date(2026, 10, 30, 9, 0).getTime();
        const old = new Date(2025, 0, 5).getTime();
        const groups = groupChats([chat("a", now - 1000), {...chat("b", now - 2000), pinned: true}, {...chat("c", old), pinned: true}, chat("d", old)], now);
        expect(groups.map((g) => [g.label, g.conversations.map((c) => c.id).join("")])).toEqual([
            ["Pinned", "bc"],
            ["Today", "a"],
            [new Date(old).toLocaleDateString(undefined, {month: "long", year: "numeric"}), "d"]
        ]);
    });

    it("dates a chat by its last message, not by a later rename or pin (its sync version)", () => {
        const now = new Date(2026, 10, 30, 9, 0).getTime();
        const old = new Date(2026, 9, 1, 12, 0).getTime();
        const renamed: Conversation = {...chat("r", old), updatedAt: now - 1000, messages: [{id: "q", role: "user", content: "q", createdAt: old}]};
        const groups = groupChats([renamed], now);
        expect(groups.map((g) => [g.label, g.conversations.map((c) => c.id).join("")])).toEqual([
            [new Date(old).toLocaleDateString(undefined, {month: "long", year: "numeric"}), "r"]
        ]);
    });

    it("puts the chats, newest first, under Today, Yesterday, the previous 7 and 30 days, then their month", () => {
        const now = new Date(2026, 10, 30, 9, 0).getTime();
        const at = (days: number, hours = 12) => new Date(2026, 10, 30 - days, hours, 0).getTime();
        const groups = groupChats(
            [chat("a", at(0, 8)), chat("b", at(1, 23)), chat("c", at(1, 0)), chat("d", at(3)), chat("e", at(20)), chat("f", at(70)), chat("g", at(100))],
            now
        );
        expect(groups.map((g) => [g.label, g.conversations.map((c) => c.id).join("")])).toEqual([
            ["Today", "a"],
            ["Yesterday", "bc"],
            ["Previous 7 days", "d"],
            ["Previous 30 days", "e"],
            [new Date(at(70)).toLocaleDateString(undefined, {month: "long", year: "numeric"}), "f"],
            [new Date(at(100)).toLocaleDateString(undefined, {month: "long", year: "numeric"}), "g"]
        ]);
        expect(groupChats([], now)).toEqual([]);
    });
});
