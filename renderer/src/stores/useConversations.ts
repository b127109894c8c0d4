import {create} from "zustand";
import {createJSONStorage, persist} from "zustand/middleware";
import type {ChatParams} from "../../../shared/backend.js";
import {newId} from "../lib/ids.js";
import {DEFAULT_PARAMS, DEFAULT_TITLE, type Conversation, type StoredMessage} from "../lib/types.js";

export const CONVERSATIONS_STORAGE = "kvshare.conversations";
const TITLE_LENGTH = 48;

interface ConversationsState {
    /** Most recently used first. */
    conversations: Conversation[];
    activeId: string | null;
    /** Starts a chat (or reuses the active one while it is still empty) and selects it. */
    create: () => string;
    select: (id: string) => void;
    remove: (id: string) => void;
    addMessage: (conversationId: string, message: Omit<StoredMessage, "id" | "createdAt">) => StoredMessage;
    /** Drops a message and everything after it (used to regenerate an answer). */
    truncateFrom: (conversationId: string, messageId: string) => void;
    setSystemPrompt: (conversationId: string, systemPrompt: string) => void;
    setParams: (conversationId: string, params: Partial<ChatParams>) => void;
}

export function titleFrom(text: string): string {
    const line = text.replace(/\s+/g, " ").trim();
    if (line === "") return DEFAULT_TITLE;
    return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1).trimEnd()}…` : line;
}

function blankConversation(): Conversation {
    const now = Date.now();
    return {id: newId(), title: DEFAULT_TITLE, systemPrompt: "", params: {...DEFAULT_PARAMS}, messages: [], createdAt: now, updatedAt: now};
}

/** Applies `change` to one conversation and moves it to the top of the list. */
function touch(list: Conversation[], id: string, change: (c: Conversation) => Conversation): Conversation[] {
    const found = list.find((c) => c.id === id);
    if (!found) return list;
    return [{...change(found), updatedAt: Date.now()}, ...list.filter((c) => c.id !== id)];
}

export const useConversations = create<ConversationsState>()(
    persist(
        (set, get) => ({
            conversations: [],
            activeId: null,
            create: () => {
                const {conversations, activeId} = get();
                const active = conversations.find((c) => c.id === activeId);
                if (active && active.messages.length === 0) return active.id;
                const conversation = blankConversation();
                set({conversations: [conversation, ...conversations], activeId: conversation.id});
                return conversation.id;
            },
            select: (id) => {
                if (get().conversations.some((c) => c.id === id)) set({activeId: id});
            },
            remove: (id) => {
                const conversations = get().conversations.filter((c) => c.id !== id);
                const activeId = get().activeId === id ? (conversations[0]?.id ?? null) : get().activeId;
                set({conversations, activeId});
            },
            addMessage: (conversationId, message) => {
                const stored: StoredMessage = {...message, id: newId(), createdAt: Date.now()};
                set({
                    conversations: touch(get().conversations, conversationId, (c) => ({
                        ...c,
                        title: c.messages.length === 0 && message.role === "user" ? titleFrom(message.content) : c.title,
                        messages: [...c.messages, stored]
                    }))
                });
                return stored;
            },
            truncateFrom: (conversationId, messageId) => {
                set({
                    conversations: touch(get().conversations, conversationId, (c) => {
                        const index = c.messages.findIndex((m) => m.id === messageId);
                        return index < 0 ? c : {...c, messages: c.messages.slice(0, index)};
                    })
                });
            },
            setSystemPrompt: (conversationId, systemPrompt) => {
                set({conversations: get().conversations.map((c) => (c.id === conversationId ? {...c, systemPrompt} : c))});
            },
            setParams: (conversationId, params) => {
                set({conversations: get().conversations.map((c) => (c.id === conversationId ? {...c, params: {...c.params, ...params}} : c))});
            }
        }),
        {
            name: CONVERSATIONS_STORAGE,
            version: 1,
            storage: createJSONStorage(() => localStorage),
            partialize: (state) => ({conversations: state.conversations, activeId: state.activeId})
        }
    )
);

export function selectActiveConversation(state: Pick<ConversationsState, "conversations" | "activeId">): Conversation | undefined {
    return state.conversations.find((c) => c.id === state.activeId);
}
