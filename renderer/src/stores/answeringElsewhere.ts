/**
 * Which chats some tab of this browser is answering right now, kept in the storage its tabs share: a tab
 * that shows a question whose answer streams in another tab must not offer to answer it again. Each
 * entry is refreshed while its answer streams (a heartbeat), so a tab that crashed mid-answer stops
 * counting after {@link ANSWERING_STALE_MS}.
 */
import {create} from "zustand";

export const ANSWERING_STORAGE = "kvshare.answering";
/** An entry not refreshed for this long belongs to a tab that is gone. */
export const ANSWERING_STALE_MS = 15_000;
/** How often a streaming answer refreshes its entry (at most). */
const HEARTBEAT_MS = 2_000;

function read(): Record<string, number> {
    try {
        const parsed = JSON.parse(localStorage.getItem(ANSWERING_STORAGE) ?? "{}") as unknown;
        return typeof parsed === "object" && parsed != null && !Array.isArray(parsed) ? (parsed as Record<string, number>) : {};
    } catch {
        return {};
    }
}

function write(entries: Record<string, number>): void {
    try {
        localStorage.setItem(ANSWERING_STORAGE, JSON.stringify(entries));
    } catch {
        // storage unavailable: other tabs simply do not know
    }
}

/**
 * This tab is answering `conversationId`: the entry is refreshed on a timer (a long prefill streams nothing
 * for a while) and by `beat` as text arrives, until `done`.
 */
export function announceAnswering(conversationId: string): {beat: () => void; done: () => void} {
    let last = 0;
    let over = false;
    const beat = (): void => {
        const now = Date.now();
        if (over || now - last < HEARTBEAT_MS) return;
        last = now;
        write({...read(), [conversationId]: now});
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
            const entries = read();
            delete entries[conversationId];
            write(entries);
        }
    };
}

/** Whether a tab of this browser (this one included) is answering `conversationId` now. */
export function answeringInThisBrowser(conversationId: string): boolean {
    return answeringElsewhere(read(), conversationId);
}

/** Other tabs' entries, as last seen (updated by {@link followAnswersElsewhere}). */
export const useAnsweringElsewhere = create<{entries: Record<string, number>}>()(() => ({entries: {}}));

/** Whether another tab was answering `conversationId` within {@link ANSWERING_STALE_MS}. */
export function answeringElsewhere(entries: Record<string, number>, conversationId: string, now = Date.now()): boolean {
    const at = entries[conversationId];
    return typeof at === "number" && now - at < ANSWERING_STALE_MS;
}

/** Follows the other tabs' entries; returns a stop function. */
export function followAnswersElsewhere(target: Pick<Window, "addEventListener" | "removeEventListener"> = window): () => void {
    useAnsweringElsewhere.setState({entries: read()});
    const onStorage = (event: StorageEvent): void => {
        if (event.key === ANSWERING_STORAGE) useAnsweringElsewhere.setState({entries: read()});
    };
    target.addEventListener("storage", onStorage);
    return () => target.removeEventListener("storage", onStorage);
}
