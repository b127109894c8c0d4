import {holdsEveryWord, searchWords} from "../../../shared/conversationSearch.js";
import type {Conversation} from "./types.js";

/** The chats whose title or messages hold every word of `query` (any case, any script: see foldCase); all of them for a blank query. */
export function searchConversations(conversations: readonly Conversation[], query: string): Conversation[] {
    const words = searchWords(query);
    if (words.length === 0) return [...conversations];
    return conversations.filter((c) => holdsEveryWord([c.title, ...c.messages.map((m) => m.content)], words));
}
