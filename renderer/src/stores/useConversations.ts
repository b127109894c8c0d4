import {create} from "zustand";
import {persist} from "zustand/middleware";
import {
    blankConversation,
    changedAt,
    isBlank,
    stamped,
    titleTyped,
    withAnswer,
    withAnswerRewritten,
    withMessage,
    withMessageDeleted,
    withVersion,
    withVersionShown
} from "../lib/conversationEdits.js";
import {byLastActivity} from "../../../shared/chatActivity.js";
import {keptFor, rememberIds} from "../lib/rememberedIds.js";
import {DEFAULT_PROFILE, type Conversation} from "../lib/types.js";
import {createConversationSync} from "./conversationSync.js";
import type {ConversationsState} from "./conversationsState.js";
import {CONVERSATIONS_STORAGE, conversationsStorage, isTabNewChat, rememberTabNewChat, saveTabActiveChat} from "./conversationsStorage.js";
import {mergeOtherTabChats} from "./otherTabChats.js";
import {useProfiles} from "./useProfiles.js";

export type {ConversationsState, RemovedConversation} from "./conversationsState.js";
export {CONVERSATIONS_STORAGE} from "./conversationsStorage.js";
export {flushConversationSaves} from "./conversationSync.js";
export {MAX_TITLE_CHARS, titleFrom} from "../lib/conversationEdits.js";
export {fromRecord, toRecord} from "../lib/conversationRecords.js";

function activeProfile(): string {
    return useProfiles.getState().active || DEFAULT_PROFILE;
}

/** Applies `change` to one conversation and moves it to the top of the list. */
function touch(list: Conversation[], id: string, change: (c: Conversation) => Conversation): Conversation[] {
    const found = list.find((c) => c.id === id);
    if (!found) return list;
    return [{...change(found), updatedAt: changedAt(found)}, ...list.filter((c) => c.id !== id)];
}

/**
 * Applies `change` to one conversation where it changes it, as a change of the chat (its updatedAt moves, so
 * a reload that comes before the save still sends it) that does not move it up the list.
 */
function changeInPlace(list: Conversation[], id: string, change: (c: Conversation) => Conversation): Conversation[] {
    return list.map((c) => {
        if (c.id !== id) return c;
        const changed = change(c);
        return changed === c ? c : {...changed, updatedAt: changedAt(c)};
    });
}

/**
 * The chats of this browser: kept in its storage (shared by its tabs), saved to the server's database (the
 * source of truth) as they change, and read from it when the page opens.
 */
/** The store's chats before anything is read or typed (a sign-out and the tests go back to it). */
export const noChatsYet = {
    conversations: [],
    activeId: null,
    loaded: false,
    syncError: null,
    conflictNotice: null,
    removedIds: [],
    removedAt: {},
    restoredIds: [],
    recentlyRemoved: null,
    olderCursor: null
} satisfies Partial<ConversationsState>;

export const useConversations = create<ConversationsState>()(
    persist((set, get) => {
        const sync = createConversationSync(get, set);
        return {
            ...noChatsYet,
            dismissConflictNotice: () => set({conflictNotice: null}),
            undoRemove: () => {
                const removed = get().recentlyRemoved;
                if (removed === null) return;
                const {conversation, wasActive} = removed;
                // The server's copy is gone: this one is saved anew, not over a stored version.
                const restored: Conversation = {...conversation};
                delete restored.syncedAt;
                delete restored.syncedSettings;
                set({
                    conversations: byLastActivity([...get().conversations.filter((c) => c.id !== conversation.id), restored]),
                    removedIds: get().removedIds.filter((id) => id !== conversation.id),
                    restoredIds: rememberIds(get().restoredIds, [conversation.id]),
                    recentlyRemoved: null,
                    ...(wasActive ? {activeId: conversation.id} : {})
                });
                sync.save(conversation.id);
            },
            forgetRemoved: () => set({recentlyRemoved: null}),
            load: sync.load,
            refresh: sync.refresh,
            loadOlder: sync.loadOlder,
            findOlder: sync.findOlder,
            create: (profile = activeProfile()) => {
                const {conversations, activeId} = get();
                // Only an empty chat this tab started is reused: another tab's may get its first question any moment.
                const reusable = (c: Conversation) => isBlank(c) && c.profile === profile && isTabNewChat(c.id);
                const active = conversations.find((c) => c.id === activeId);
                if (active && reusable(active)) return active.id;
                const emptyOfProfile = conversations.find(reusable);
                if (emptyOfProfile) {
                    set({activeId: emptyOfProfile.id});
                    return emptyOfProfile.id;
                }
                const conversation = blankConversation(profile);
                rememberTabNewChat(conversation.id);
                set({conversations: [conversation, ...conversations], activeId: conversation.id});
                return conversation.id;
            },
            branch: (conversationId, messageId) => {
                const source = get().conversations.find((c) => c.id === conversationId);
                const end = source?.messages.findIndex((m) => m.id === messageId) ?? -1;
                if (source === undefined || end < 0) return null;
                // The version shown alone: the others stay with the chat they were made in.
                const messages = source.messages.slice(0, end + 1).map(({alternatives: _versions, alternativeIndex: _shown, ...m}) => structuredClone(m));
                const copy: Conversation = {
                    ...blankConversation(source.profile),
                    title: titleTyped(`${source.title} (branch)`),
                    systemPrompt: source.systemPrompt,
                    params: {...source.params},
                    messages
                };
                set({conversations: [copy, ...get().conversations], activeId: copy.id});
                sync.save(copy.id);
                return copy.id;
            },
            importChats: (chats) => {
                if (chats.length === 0) return;
                set({conversations: byLastActivity([...chats, ...get().conversations]), activeId: chats[0]!.id});
                for (const c of chats) sync.save(c.id);
            },
            select: (id) => {
                if (get().conversations.some((c) => c.id === id)) set({activeId: id});
            },
            showProfile: (profile) => {
                const {conversations, activeId} = get();
                if (conversations.find((c) => c.id === activeId)?.profile === profile) return;
                const latest = conversations.find((c) => c.profile === profile);
                if (latest) set({activeId: latest.id});
                else get().create(profile);
            },
            remove: (id) => {
                const removed = get().conversations.find((c) => c.id === id);
                const conversations = get().conversations.filter((c) => c.id !== id);
                const sameProfile = conversations.filter((c) => c.profile === removed?.profile);
                const activeId = get().activeId === id ? (sameProfile[0]?.id ?? null) : get().activeId;
                const worthUndo = removed != null && removed.messages.length > 0;
                // A blank chat was never saved; one emptied by deletions was.
                const onServer = removed != null && !isBlank(removed);
                const removedIds = rememberIds(get().removedIds, [id]);
                set({
                    conversations,
                    activeId,
                    removedIds,
                    // As of the server's version where it answered a later one than this copy's own time.
                    removedAt: keptFor(removedIds, {
                        ...get().removedAt,
                        [id]: removed == null ? Date.now() : Math.max(removed.updatedAt, removed.syncedAt ?? 0)
                    }),
                    restoredIds: get().restoredIds.filter((restored) => restored !== id),
                    recentlyRemoved: worthUndo ? {conversation: removed, wasActive: get().activeId === id} : get().recentlyRemoved
                });
                // A blank chat was never saved: there is nothing to delete on the server.
                sync.drop(id, onServer);
            },
            rename: (id, title) => {
                const name = titleTyped(title);
                if (name === "") return;
                set({conversations: changeInPlace(get().conversations, id, (c) => (c.title === name ? c : {...c, title: name}))});
                sync.save(id);
            },
            setPinned: (id, pinned) => {
                set({conversations: changeInPlace(get().conversations, id, (c) => ((c.pinned === true) === pinned ? c : {...c, pinned}))});
                sync.save(id);
            },
            addMessage: (conversationId, message) => {
                const stored = stamped(message);
                set({conversations: touch(get().conversations, conversationId, (c) => withMessage(c, stored))});
                sync.save(conversationId);
                return stored;
            },
            addAnswer: (conversationId, questionId, answer) => {
                const stored = stamped(answer);
                set({conversations: touch(get().conversations, conversationId, (c) => withAnswer(c, questionId, stored))});
                sync.save(conversationId);
                return stored;
            },
            rewriteAnswer: (conversationId, questionId, answerId, answer) => {
                // The answer keeps when it was made, so the chat keeps its place by its last message (as a reload
                // would list it); an answer gone meanwhile is added anew, and the chat moves up with it.
                const changed = changeInPlace(
                    get().conversations,
                    conversationId,
                    (c) => withAnswerRewritten(c, answerId, answer) ?? withAnswer(c, questionId, stamped(answer))
                );
                set({conversations: byLastActivity(changed)});
                sync.save(conversationId);
            },
            addVersion: (conversationId, messageId, message) => {
                const stored = stamped(message);
                set({conversations: touch(get().conversations, conversationId, (c) => withVersion(c, messageId, stored))});
                sync.save(conversationId);
                return stored;
            },
            // A chat is listed by its last message: deleting that one may move it down.
            deleteMessage: (conversationId, messageId) => {
                set({conversations: byLastActivity(changeInPlace(get().conversations, conversationId, (c) => withMessageDeleted(c, messageId)))});
                sync.save(conversationId);
            },
            // Which version is shown is saved with the chat (another browser opens it the same), but looking
            // at another version does not move the chat up the list.
            showVersion: (conversationId, messageId, target) => {
                set({conversations: changeInPlace(get().conversations, conversationId, (c) => withVersionShown(c, messageId, target))});
                sync.save(conversationId);
            },
            // Typed a key at a time: saved once the typing pauses.
            setSystemPrompt: (conversationId, systemPrompt) => {
                set({conversations: changeInPlace(get().conversations, conversationId, (c) => ({...c, systemPrompt}))});
                sync.saveSoon(conversationId);
            },
            setParams: (conversationId, params) => {
                set({conversations: changeInPlace(get().conversations, conversationId, (c) => ({...c, params: {...c.params, ...params}}))});
                sync.saveSoon(conversationId);
            }
        };
    }, conversationsStorage)
);

// Each tab remembers the chat it shows, for its own reload (see `tabActiveChat`): the one it opened on, then each it opens.
saveTabActiveChat(useConversations.getState().activeId);
useConversations.subscribe((state, previous) => {
    if (state.activeId !== previous.activeId) saveTabActiveChat(state.activeId);
});

/**
 * Takes in the chats changed elsewhere. Another tab of this browser writes them to the shared storage, which
 * tells every other tab: a chat newer there replaces this tab's copy, one new there is added (without it a tab
 * left open on a chat would save its older copy over what the other tab added). Another browser tells this one
 * nothing: the server's chats are read again when this tab gets the focus back, so a setting changed there (or
 * one this tab changed too, and lost as the earlier save) shows here. Returns a stop function.
 */
export function followOtherTabs(target: Pick<Window, "addEventListener" | "removeEventListener"> = window): () => void {
    const onStorage = (event: StorageEvent): void => {
        if (event.key === CONVERSATIONS_STORAGE) takeChatsFromOtherTab(event.newValue);
    };
    let refreshing = false;
    const onFocus = (): void => {
        // Before the first load (App's, once the server answers) there is nothing to refresh; one read at a time.
        if (refreshing || !useConversations.getState().loaded) return;
        refreshing = true;
        void useConversations
            .getState()
            .refresh()
            .finally(() => (refreshing = false));
    };
    target.addEventListener("storage", onStorage);
    target.addEventListener("focus", onFocus);
    return () => {
        target.removeEventListener("storage", onStorage);
        target.removeEventListener("focus", onFocus);
    };
}

/** Merges the chats of another tab's stored state (see {@link followOtherTabs}). */
export function takeChatsFromOtherTab(raw: string | null): void {
    const merged = mergeOtherTabChats(useConversations.getState(), raw);
    if (merged !== null) useConversations.setState(merged);
}

/** The open chat, if any (a selector for {@link useConversations}). */
export function selectActiveConversation(state: Pick<ConversationsState, "conversations" | "activeId">): Conversation | undefined {
    return state.conversations.find((c) => c.id === state.activeId);
}

/** Whether the store holds chats with messages (of the key signed in): what a new key would forget here. */
export const selectHoldsChats = (state: Pick<ConversationsState, "conversations">): boolean => state.conversations.some((c) => c.messages.length > 0);

/** {@link selectHoldsChats}, now. */
export function holdsChatsHere(): boolean {
    return selectHoldsChats(useConversations.getState());
}
