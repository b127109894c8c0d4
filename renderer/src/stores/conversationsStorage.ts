import {createJSONStorage, type PersistOptions} from "zustand/middleware";
import {DEFAULT_PROFILE, type Conversation} from "../lib/types.js";
import type {ConversationsState, PersistedConversations} from "./conversationsState.js";
import {guardedLocalStorage} from "./useLocalCopy.js";

/** Where this browser keeps its copy of the chats (every tab of it writes and reads the same key). */
export const CONVERSATIONS_STORAGE = "kvshare.conversations";

/** How the chats are kept in this browser's storage: the chats and what was deleted or brought back. */
export const conversationsStorage: PersistOptions<ConversationsState, PersistedConversations> = {
    name: CONVERSATIONS_STORAGE,
    version: 2,
    storage: createJSONStorage(() => guardedLocalStorage),
    partialize: (state) => ({
        conversations: state.conversations,
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
