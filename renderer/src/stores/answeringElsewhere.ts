/**
 * Which chats some tab of this browser is answering right now, kept in the storage its tabs share: a tab
 * that shows a question whose answer streams in another tab must not offer to answer it again. Each
 * entry is refreshed while its answer streams (a heartbeat), so a tab that crashed mid-answer stops
 * counting after {@link ANSWERING_STALE_MS}.
 *
 * Every tab writes only entries of its own, one storage key per (tab, chat): tabs that start or end answers
 * at the same moment never read, change and write back one shared record, where one tab's write would drop
 * another's entry or bring back one already taken out. Each tab knows its own entries by its id, so it never
 * takes an answer of its own for another tab's.
 */
import {create} from "zustand";
import {newId} from "../lib/ids.js";

/** The start of every entry's storage key: `kvshare.answering:<tab>:<chat>`, holding when it was last refreshed. */
export const ANSWERING_STORAGE = "kvshare.answering";
const PREFIX = `${ANSWERING_STORAGE}:`;
/** An entry not refreshed for this long belongs to a tab that is gone. */
export const ANSWERING_STALE_MS = 15_000;
/** How often a streaming answer refreshes its entry (at most). */
const HEARTBEAT_MS = 2_000;
/**
 * A crashed tab's entries stay in storage (nothing took them out): any tab that starts removes those this old.
 * Far past staleness, so an entry its living tab is about to refresh is never taken.
 */
const FORGOTTEN_MS = 10 * 60_000;

/**
 * This page's id among the tabs of the browser. A reloaded tab is a new page with a new id: its answer was
 * taken out as the old page went (or goes stale), so no entry of the old page counts as this one's.
 */
export const THIS_TAB = newId();

/** The storage key of `tab`'s entry for `conversationId`. */
export function answeringEntryKey(tab: string, conversationId: string): string {
    return `${PREFIX}${tab}:${conversationId}`;
}

interface Entry {
    key: string;
    tab: string;
    conversationId: string;
    /** When its tab last refreshed it. */
    at: number;
}

/** Every tab's entries, as stored now (unreadable ones left out). */
function readEntries(): Entry[] {
    const entries: Entry[] = [];
    try {
        for (let i = 0; i < localStorage.length; i++) {
            const key = localStorage.key(i);
            if (key?.startsWith(PREFIX) !== true) continue;
            const rest = key.slice(PREFIX.length);
            const split = rest.indexOf(":");
            const at = Number(localStorage.getItem(key));
            if (split <= 0 || split === rest.length - 1 || !Number.isFinite(at)) continue;
            entries.push({key, tab: rest.slice(0, split), conversationId: rest.slice(split + 1), at});
        }
    } catch {
        // storage unavailable: no tab is known to answer anything
    }
    return entries;
}

/** The entries of tabs other than this one, by chat (the latest refresh where several tabs name one chat). */
function othersByChat(entries: Entry[]): Record<string, number> {
    const byChat: Record<string, number> = {};
    for (const e of entries) {
        if (e.tab === THIS_TAB) continue;
        const seen = byChat[e.conversationId];
        if (seen === undefined || e.at > seen) byChat[e.conversationId] = e.at;
    }
    return byChat;
}

/**
 * This tab is answering `conversationId`: the entry is refreshed on a timer (a long prefill streams nothing
 * for a while) and by `beat` as text arrives, until `done`, which takes it out (the other tabs hear of that at once).
 */
export function announceAnswering(conversationId: string): {beat: () => void; done: () => void} {
    const key = answeringEntryKey(THIS_TAB, conversationId);
    let last = 0;
    let over = false;
    const beat = (): void => {
        const now = Date.now();
        if (over || now - last < HEARTBEAT_MS) return;
        last = now;
        try {
            localStorage.setItem(key, String(now));
        } catch {
            // storage unavailable: other tabs simply do not know
        }
    };
    beat();
    const timer = setInterval(beat, HEARTBEAT_MS);
    return {
        beat,
        // Once: a second call (the page went away, then the answer ended) must not remove a later answer's entry.
        done: () => {
            if (over) return;
            over = true;
            clearInterval(timer);
            try {
                localStorage.removeItem(key);
            } catch {
                // nothing kept to remove
            }
        }
    };
}

/** Whether a tab of this browser (this one included) is answering `conversationId` now. */
export function answeringInThisBrowser(conversationId: string, now = Date.now()): boolean {
    return readEntries().some((e) => e.conversationId === conversationId && now - e.at < ANSWERING_STALE_MS);
}

/** Other tabs' entries by chat, as last seen (updated by {@link followAnswersElsewhere}); this tab's are never among them. */
export const useAnsweringElsewhere = create<{entries: Record<string, number>}>()(() => ({entries: {}}));

/** Whether another tab was answering `conversationId` within {@link ANSWERING_STALE_MS}. */
export function answeringElsewhere(entries: Record<string, number>, conversationId: string, now = Date.now()): boolean {
    const at = entries[conversationId];
    return typeof at === "number" && now - at < ANSWERING_STALE_MS;
}

/**
 * Follows the other tabs' entries (each change of one is a storage event here); returns a stop function.
 * Entries left behind long ago by tabs that crashed are removed first.
 */
export function followAnswersElsewhere(target: Pick<Window, "addEventListener" | "removeEventListener"> = window): () => void {
    const now = Date.now();
    const entries = readEntries();
    for (const e of entries) {
        if (e.tab === THIS_TAB || now - e.at < FORGOTTEN_MS) continue;
        try {
            localStorage.removeItem(e.key);
        } catch {
            // left as it is: it no longer counts anyway
        }
    }
    useAnsweringElsewhere.setState({entries: othersByChat(entries.filter((e) => now - e.at < FORGOTTEN_MS))});
    const onStorage = (event: StorageEvent): void => {
        // No key: the storage was cleared.
        if (event.key == null || event.key.startsWith(PREFIX)) useAnsweringElsewhere.setState({entries: othersByChat(readEntries())});
    };
    target.addEventListener("storage", onStorage);
    return () => target.removeEventListener("storage", onStorage);
}
