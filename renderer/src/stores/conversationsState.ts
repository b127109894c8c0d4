import type {ChatParams} from "../../../shared/backend.js";
import type {Conversation, StoredMessage} from "../lib/types.js";

/** What {@link useConversations} holds and does (the store itself is in useConversations.ts). */
export interface ConversationsState {
    /** Most recently used first. */
    conversations: Conversation[];
    activeId: string | null;
    /** True once the server's copy was read (the server's database is the source of truth). */
    loaded: boolean;
    /** The last failure to save to or read from the server, if any. */
    syncError: string | null;
    /** A chat changed in another browser meanwhile: what was done with this one's version (shown until dismissed). */
    conflictNotice: string | null;
    dismissConflictNotice: () => void;
    /**
     * Chats deleted in this browser, most recent last: a server list sent before a deletion landed, or
     * another tab's older copy of the stored chats, must not bring them back.
     */
    removedIds: string[];
    /**
     * The last change time of each deleted chat as it was deleted: a server copy changed after that was written
     * to in another browser since, and is shown again rather than hidden here for good.
     */
    removedAt: Record<string, number>;
    /** Deleted chats brought back (undo) in this browser: a tab that took in the deletion takes them back. */
    restoredIds: string[];
    /** The chat deleted last, while its deletion can still be undone (this page only). */
    recentlyRemoved: RemovedConversation | null;
    /** Brings the chat deleted last back, here and on the server. */
    undoRemove: () => void;
    /** The deletion stands: no more undo. */
    forgetRemoved: () => void;
    /** Reads the chats from the server, keeping local chats the server does not have yet (and saving them). */
    load: () => Promise<void>;
    /**
     * Reads the chats from the server again (this tab is looked at again): what other browsers changed since is
     * taken in, settings changed on both sides merged; chats here that the server does not list are left as
     * they are (another browser may have deleted them: they are not saved back).
     */
    refresh: () => Promise<void>;
    /**
     * Where the server's next page of older chats starts (a listing gives the newest 200);
     * null: every chat is read, or the server keeps none for this key.
     */
    olderCursor: string | null;
    /** Reads the next page of older chats into the list. */
    loadOlder: () => Promise<void>;
    /** Reads a profile's chats holding `query`'s words from the server, older ones no page read yet included. */
    findOlder: (query: string, profile: string) => Promise<void>;
    /** Starts a chat for a profile (or reuses its empty active chat) and selects it. */
    create: (profile?: string) => string;
    select: (id: string) => void;
    /** Adds chats read from a file (new ids, at the top of the list), saves them, and opens the first. */
    importChats: (chats: Conversation[]) => void;
    /**
     * Starts a chat holding chat `conversationId` up to message `messageId` (the version shown; its settings too),
     * and shows it; null where there is no such message.
     */
    branch: (conversationId: string, messageId: string) => string | null;
    /** After a profile switch: that profile's most recent chat, or a new one. */
    showProfile: (profile: string) => void;
    remove: (id: string) => void;
    /** Names a chat (blank names are ignored); a chat named so keeps its name when its first question is edited. */
    rename: (id: string, title: string) => void;
    /** Pins a chat to the top of the list, or unpins it (saved like its name: another window's changes kept). */
    setPinned: (id: string, pinned: boolean) => void;
    addMessage: (conversationId: string, message: Omit<StoredMessage, "id" | "createdAt">) => StoredMessage;
    /**
     * Keeps an answer after the question it answers, in whichever version holds that question (the version shown
     * may have changed while it was written: what is shown stays); at the chat's end where no version holds it.
     */
    addAnswer: (conversationId: string, questionId: string, answer: Omit<StoredMessage, "id" | "createdAt">) => StoredMessage;
    /**
     * Asks again from a message (an edited question, a regenerated answer): `message` starts a new version of
     * the chat there, shown from now on; the old version, from that message on, is kept. A message no longer
     * in the chat shown: `message` is added at its end.
     */
    addVersion: (conversationId: string, messageId: string, message: Omit<StoredMessage, "id" | "createdAt">) => StoredMessage;
    /**
     * Rewrites the shown answer `answerId` as `answer` (a continued answer); where it is no longer shown, `answer`
     * is kept after the question it answers instead, as a new answer would be.
     */
    rewriteAnswer: (conversationId: string, questionId: string, answerId: string, answer: Omit<StoredMessage, "id" | "createdAt">) => void;
    /**
     * Deletes a message of the version shown, in every browser (the chat keeps its id as deleted); an answer stays
     * where its question is deleted, and the versions a message heads stay with the message after it. A chat left
     * with no message stays, empty (see `isBlank`).
     */
    deleteMessage: (conversationId: string, messageId: string) => void;
    /** Shows version `target` (0-based) of the chat from a message on. */
    showVersion: (conversationId: string, messageId: string, target: number) => void;
    setSystemPrompt: (conversationId: string, systemPrompt: string) => void;
    setParams: (conversationId: string, params: Partial<ChatParams>) => void;
}

export interface RemovedConversation {
    conversation: Conversation;
    /** It was the open chat: undo opens it again. */
    wasActive: boolean;
}

/** What the stored state keeps (this browser's storage, shared by its tabs). */
export type PersistedConversations = Pick<ConversationsState, "conversations" | "activeId" | "removedIds" | "removedAt" | "restoredIds">;
