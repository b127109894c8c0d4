import {describe, expect, it} from "vitest";
import {CHATS_EXPORT_FORMAT, chatAsMarkdown, chatsAsJson, exportFileName, type ChatsExport} from "./chatExport.js";
import {DEFAULT_PARAMS, type Conversation} from "./types.js";

const chat: Conversation = {
    id: "c1",
    profile: "default",
    title: "Où est l'école ? 🏫",
    systemPrompt: "Be brief.\nBe kind.",
    params: {...DEFAULT_PARAMS, temperature: 0.2},
    createdAt: 1,
    updatedAt: 2,
    messages: [
        {id: "q1", role: "user", content: "Where is the school?", createdAt: 1},
        {
            id: "a1",
            role: "assistant",
            content: "Down the road.",
            createdAt: 2,
            stats: {finishReason: "stop", promptTokens: 9},
            hit: {
                mode: "semantic",
                prompt_tokens: 9,
                reused_tokens: 6,
                computed_tokens: 3,
                recomputed_tokens: 1,
                donor: {id: 4, similarity: 0.9, exact: false, tokens: 12, prompt: "another person's words"},
                donor_pieces: ["another", " person"]
            },
            alternatives: [[{id: "a0", role: "assistant", content: "Next door.", createdAt: 2}]],
            alternativeIndex: 1
        },
        {id: "q2", role: "user", content: "And the park?", createdAt: 3},
        {id: "a2", role: "assistant", content: "", error: "the server stopped", createdAt: 4}
    ]
};

describe("chat export", () => {
    it("writes the chat shown as Markdown: title, system prompt, each message in turn", () => {
        expect(chatAsMarkdown(chat)).toBe(
            [
                "# Où est l'école ? 🏫",
                "> **System:** Be brief.\n> Be kind.",
                "**You:**\n\nWhere is the school?",
                "**Assistant:**\n\nDown the road.",
                "**You:**\n\nAnd the park?",
                "**Assistant:**\n\n*(no answer: the server stopped)*"
            ].join("\n\n") + "\n"
        );
    });

    it("writes chats as JSON that says what it is, with every version, setting and stat kept", () => {
        const file = JSON.parse(chatsAsJson([chat], new Date(Date.UTC(2026, 10, 30)))) as ChatsExport;
        expect(file).toMatchObject({format: CHATS_EXPORT_FORMAT, version: 1, exportedAt: "2026-11-30T00:00:00.000Z"});
        expect(file.conversations).toHaveLength(1);
        const [stored] = file.conversations;
        expect(stored).toMatchObject({id: "c1", title: chat.title, systemPrompt: chat.systemPrompt, params: {temperature: 0.2}});
        expect(stored!.messages[1]).toMatchObject({content: "Down the road.", alternatives: [[{content: "Next door."}]], alternativeIndex: 1});
        expect(stored!.messages[3]).toMatchObject({error: "the server stopped"});
        // The hit record as a saved chat keeps it: the donor's text is not this chat's.
        expect(stored!.messages[1]!.hit).toMatchObject({reused_tokens: 6, donor: {id: 4}});
        expect(JSON.stringify(file)).not.toContain("another person");
        // Which messages were deleted is not part of the chat: an import makes a new one.
        const withDeleted = JSON.parse(chatsAsJson([{...chat, deletedMessageIds: ["gone-1"]}])) as ChatsExport;
        expect(JSON.stringify(withDeleted)).not.toContain("gone-1");
    });

    it("names the file after the chat, in any script, never empty", () => {
        expect(exportFileName(chat.title, "md")).toBe("Où-est-l-école.md");
        expect(exportFileName("סיפור קצר", "json")).toBe("סיפור-קצר.json");
        expect(exportFileName("🏫 / ?", "md")).toBe("chat.md");
    });
});
