import type {Conversation} from "./types.js";

/** The chats whose title or messages hold every word of `query` (any case); all of them for a blank query. */
export function searchConversations(conversations: readonly Conversation[], query: string): Conversation[] {
    const words = query
        .toLowerCase()
        .split(/\s+/)
        .filter((w) => w !== "");
    if (words.length === 0) return [...conversations];
    return conversations.filter((c) => {
        const text = [c.title, ...c.messages.map((m) => m.content)].join("\n").toLowerCase();
        return words.every((w) => text.includes(w));
    });
}
