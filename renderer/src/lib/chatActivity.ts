import {everyMessage} from "../../../shared/messageVersions.js";
import type {Conversation} from "./types.js";

/**
 * When a chat was last written in: its newest message in any version (a question, an answer, an edited question,
 * a regenerated answer), or when it was made where it has none. The list is ordered and dated by this, not by
 * `updatedAt`: that is the sync version, which a rename, a pin, a setting or another version shown moves too, so
 * a chat renamed today would come back from the server at the top, under "Today", however old its messages.
 */
export function lastActiveAt(c: Pick<Conversation, "createdAt" | "messages">): number {
    let at = c.createdAt;
    for (const m of everyMessage(c.messages)) at = Math.max(at, m.createdAt);
    return at;
}

/** The chats newest activity first (a sorted copy); equal times by the later sync version first. */
export function byLastActivity<C extends Pick<Conversation, "createdAt" | "messages" | "updatedAt">>(chats: readonly C[]): C[] {
    return chats
        .map((c) => ({c, at: lastActiveAt(c)}))
        .sort((a, b) => b.at - a.at || b.c.updatedAt - a.c.updatedAt)
        .map(({c}) => c);
}
