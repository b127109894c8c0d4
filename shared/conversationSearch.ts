import type {ListPlace} from "./chatActivity.js";
import {foldCase} from "./foldCase.js";

/** A search's words, case folded (any script: see foldCase); none for a blank query. */
export function searchWords(query: string): string[] {
    return foldCase(query)
        .split(/\s+/)
        .filter((w) => w !== "");
}

/** Whether a chat's texts (its title, its messages) hold every one of `words` (see {@link searchWords}). */
export function holdsEveryWord(texts: readonly string[], words: readonly string[]): boolean {
    if (words.length === 0) return true;
    const folded = foldCase(texts.join("\n"));
    return words.every((w) => folded.includes(w));
}

/** Chats a listing gives at most: older ones come a page at a time (`before`: {@link conversationCursor}). */
export const CONVERSATION_PAGE = 200;

/**
 * Where a listing's page ends: the next page starts after this chat, in the list's order (last activity, sync version,
 * id: see {@link listedAfter}; a page ends at a chat's {@link listPlace}).
 */
export function conversationCursor(place: ListPlace): string {
    return `${place.lastActiveAt}:${place.updatedAt}:${place.id}`;
}

/** A cursor read back; null where it is none. */
export function readConversationCursor(cursor: string): ListPlace | null {
    const match = /^(\d{1,16}):(\d{1,16}):(.{1,80})$/s.exec(cursor);
    return match == null ? null : {lastActiveAt: Number(match[1]), updatedAt: Number(match[2]), id: match[3]!};
}
