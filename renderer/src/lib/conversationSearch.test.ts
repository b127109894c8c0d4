import {describe, expect, it} from "vitest";
import {searchConversations} from "./conversationSearch.js";
import {DEFAULT_PROFILE, type Conversation} from "./types.js";

const chat = (title: string, ...contents: string[]): Conversation =>
    ({
        id: title,
        title,
        profile: DEFAULT_PROFILE,
        systemPrompt: "",
        params: {},
        createdAt: 0,
        updatedAt: 0,
        messages: contents.map((content, i) => ({id: `${title}-${i}`, role: i % 2 === 0 ? "user" : "assistant", content, createdAt: 0}))
    }) as Conversation;

describe("searchConversations", () => {
    const chats = [chat("Rentrée", "Lettre de L'ÉCOLE", "La rentrée est lundi"), chat("Straße", "Wo ist die STRASSE?"), chat("Fox", "The fox ran")];
    const titles = (query: string) => searchConversations(chats, query).map((c) => c.title);

    it("finds chats holding every word, in any case of any script, however an accent is written", () => {
        expect(titles("école lundi")).toEqual(["Rentrée"]);
        // "é" typed as e + a combining accent (as macOS writes it), and full-width letters.
        expect(titles("e\u0301cole")).toEqual(["Rentrée"]);
        expect(titles("ＦＯＸ")).toEqual(["Fox"]);
        expect(titles("strasse")).toEqual(["Straße"]);
        expect(titles("fox lundi")).toEqual([]);
        expect(titles("  ")).toEqual(["Rentrée", "Straße", "Fox"]);
    });
});
