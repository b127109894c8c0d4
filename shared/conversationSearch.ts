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

/** Where a listing's page ends: the next page starts after this chat (newest first; the id breaks a tie). */
export function conversationCursor(c: {updatedAt: number; id: string}): string {
    return `${c.updatedAt}:${c.id}`;
}

/** A cursor read back; null where it is none. */
export function readConversationCursor(cursor: string): {updatedAt: number; id: string} | null {
    const match = /^(\d{1,16}):(.{1,80})$/s.exec(cursor);
    return match == null ? null : {updatedAt: Number(match[1]), id: match[2]!};
}

/** Whether chat `c` comes after `cursor` in a listing (newest first, the id breaking ties). */
export function afterCursor(c: {updatedAt: number; id: string}, cursor: {updatedAt: number; id: string}): boolean {
    return c.updatedAt < cursor.updatedAt || (c.updatedAt === cursor.updatedAt && c.id < cursor.id);
}
