import {createJSONStorage, type PersistOptions} from "zustand/middleware";
import {withKeptHits} from "../../../shared/keptHit.js";
import {isBlank} from "../lib/conversationEdits.js";
import {DEFAULT_PROFILE, type Conversation} from "../lib/types.js";
import type {ConversationsState, PersistedConversations} from "./conversationsState.js";
import {guardedLocalStorage} from "./useLocalCopy.js";

/**
 * Where this browser keeps its copy of the chats (every tab of it writes and reads the same key). Its `activeId`
 * is the chat the tabs showed last: what a new tab opens.
 */
export const CONVERSATIONS_STORAGE = "kvshare.conversations";

/**
 * Where a tab keeps the chat it shows: the tab's own storage, which a reload of the tab keeps and no other tab
 * sees. The `activeId` in the shared storage is whichever tab wrote last: on its own, a reload would open the
 * chat another tab had just opened.
 */
export const TAB_ACTIVE_CHAT_STORAGE = "kvshare.activeChat";

/** The chat this tab showed last (before a reload), or null where it has shown none yet (a new tab). */
export function loadTabActiveChat(): string | null {
    try {
        const id = sessionStorage.getItem(TAB_ACTIVE_CHAT_STORAGE);
        return id === null || id === "" ? null : id;
    } catch {
        return null;
    }
}

/** Remembers the chat this tab shows (none: forgotten, so a reload starts as a new tab does). */
export function saveTabActiveChat(id: string | null): void {
    try {
        if (id === null) sessionStorage.removeItem(TAB_ACTIVE_CHAT_STORAGE);
        else sessionStorage.setItem(TAB_ACTIVE_CHAT_STORAGE, id);
    } catch {
        // Storage refused: a reload opens the chat the tabs last showed, as a new tab does.
    }
}

/**
 * Where a tab keeps the ids of the new (empty) chats it started: "New chat" reuses an empty chat only where it is
 * the tab's own. The shared storage holds every tab's empty chats: two tabs pressing New chat must not both land
 * in one chat and write their questions into it.
 */
const TAB_NEW_CHATS_STORAGE = "kvshare.newChats";
/** Enough for any tab's empty chats (New chat reuses one, so a tab rarely has more than one or two). */
const TAB_NEW_CHATS_KEPT = 20;

function loadTabNewChats(): string[] {
    try {
        const ids: unknown = JSON.parse(sessionStorage.getItem(TAB_NEW_CHATS_STORAGE) ?? "[]");
        return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
    } catch {
        return [];
    }
}

/** Remembers that this tab started the (empty) chat `id`. */
export function rememberTabNewChat(id: string): void {
    try {
        sessionStorage.setItem(TAB_NEW_CHATS_STORAGE, JSON.stringify([...loadTabNewChats().filter((kept) => kept !== id), id].slice(-TAB_NEW_CHATS_KEPT)));
    } catch {
        // Storage refused: New chat starts another chat rather than reuse this one.
    }
}

/** Whether this tab started the chat `id` (see rememberTabNewChat). */
export function isTabNewChat(id: string): boolean {
    return loadTabNewChats().includes(id);
}

/**
 * The chat a tab opens on as the stored state is read: the one it showed before a reload, while the stored
 * chats still hold it (none where another tab deleted it, or it was an empty chat, which other tabs never take
 * in: the tab then starts on a new chat, not on another tab's); a new tab opens the chat the tabs last showed,
 * unless that is another tab's empty chat (the new tab starts one of its own: two tabs in one empty chat would
 * both write their first question into it).
 */
export function tabActiveChat(stored: Pick<PersistedConversations, "conversations" | "activeId">): string | null {
    const own = loadTabActiveChat();
    if (own === null) {
        const shown = stored.conversations.find((c) => c.id === stored.activeId);
        return shown != null && (!isBlank(shown) || isTabNewChat(shown.id)) ? shown.id : null;
    }
    return stored.conversations.some((c) => c.id === own) ? own : null;
}

/** How the chats are kept in this browser's storage: the chats and what was deleted or brought back. */
export const conversationsStorage: PersistOptions<ConversationsState, PersistedConversations> = {
    name: CONVERSATIONS_STORAGE,
    version: 2,
    storage: createJSONStorage(() => guardedLocalStorage),
    // The stored state, but the chat shown is this tab's own (see `tabActiveChat`), and of the empty chats only this
    // tab's: another tab's is that tab's to write its first question into (empty chats are never on the server, and a
    // tab that closed leaves its one behind in the shared storage).
    merge: (persisted, current) => {
        const stored = (persisted ?? {}) as Partial<PersistedConversations>;
        const merged = {...current, ...stored};
        if (merged.conversations != null) merged.conversations = merged.conversations.filter((c) => !isBlank(c) || isTabNewChat(c.id));
        return {...merged, activeId: tabActiveChat({conversations: merged.conversations, activeId: merged.activeId ?? null})};
    },
    partialize: (state) => ({
        // As the server keeps them: no donor's text in this browser's storage either (see keptHit).
        conversations: state.conversations.map((c) => ({...c, messages: withKeptHits(c.messages)})),
        activeId: state.activeId,
        removedIds: state.removedIds,
        removedAt: state.removedAt,
        restoredIds: state.restoredIds
    }),
    // v1 chats had no profile: they were the default profile's.
    migrate: (persisted) => {
        const state = persisted as {conversations?: Array<Partial<Conversation>>; activeId?: string | null};
        return {
            conversations: (state.conversations ?? []).map((c) => ({...c, profile: c.profile ?? DEFAULT_PROFILE})) as Conversation[],
            activeId: state.activeId ?? null
        } as PersistedConversations;
    }
};
