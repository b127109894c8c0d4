import {foldCase} from "../../../shared/foldCase.js";
import type {Conversation} from "./types.js";

/** The chats whose title or messages hold every word of `query` (any case, any script: see foldCase); all of them for a blank query. */
export function searchConversations(conversations: readonly Conversation[], query: string): Conversation[] {
    const words = foldCase(query)
        .split(/\s+/)
        .filter((w) => w !== "");
    if (words.length === 0) return [...conversations];
    return conversations.filter((c) => {
        const text = [c.title, ...c.messages.map((m) => m.content)].join("\n");
        const folded = foldCase(text);
        return words.every((w) => folded.includes(w));
    });
}
