import {everyMessage} from "./messageVersions.js";

/** A message's time, and the other versions of the chat from it on. */
export interface MessageTimes {
    createdAt: number;
    alternatives?: MessageTimes[][];
}

/** What a chat's last activity is read from: when it was made, and its messages in every version. */
export interface ChatTimes {
    createdAt: number;
    messages: readonly MessageTimes[];
}

/**
 * When a chat was last written in: its newest message in any version (a question, an answer, an edited question,
 * a regenerated answer), or when it was made where it has none. The list is ordered and dated by this, and the
 * server pages chats by it, not by `updatedAt`: that is the sync version, which a rename, a pin, a setting or
 * another version shown moves too, so a chat renamed today would come back at the top, under "Today", however old
 * its messages, and an older page would hold chats more recent than some of the first.
 */
export function lastActiveAt(c: ChatTimes): number {
    let at = c.createdAt;
    for (const m of everyMessage(c.messages)) at = Math.max(at, m.createdAt);
    return at;
}

/** A chat's place in the list: its last activity, then its sync version, then its id (newest, largest first). */
export interface ListPlace {
    lastActiveAt: number;
    updatedAt: number;
    id: string;
}

/** Whether `a` is listed after `b` (the order the server pages by and the list shows). */
export function listedAfter(a: ListPlace, b: ListPlace): boolean {
    if (a.lastActiveAt !== b.lastActiveAt) return a.lastActiveAt < b.lastActiveAt;
    if (a.updatedAt !== b.updatedAt) return a.updatedAt < b.updatedAt;
    return a.id < b.id;
}

/** A chat's {@link ListPlace}. */
export function listPlace(c: ChatTimes & {updatedAt: number; id: string}): ListPlace {
    return {lastActiveAt: lastActiveAt(c), updatedAt: c.updatedAt, id: c.id};
}

/** The chats newest activity first (a sorted copy); equal times by the later sync version first, then the id. */
export function byLastActivity<C extends ChatTimes & {updatedAt: number; id: string}>(chats: readonly C[]): C[] {
    return chats
        .map((c) => ({c, place: listPlace(c)}))
        .sort((a, b) => (listedAfter(a.place, b.place) ? 1 : listedAfter(b.place, a.place) ? -1 : 0))
        .map(({c}) => c);
}
