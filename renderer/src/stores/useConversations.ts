import {create} from "zustand";
import {createJSONStorage, persist} from "zustand/middleware";
import type {ConversationRecord} from "../../../shared/admin.js";
import type {ChatParams} from "../../../shared/backend.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";
import {holdsEveryMessage} from "../lib/holdsEveryMessage.js";
import {newId} from "../lib/ids.js";
import {DEFAULT_PARAMS, DEFAULT_PROFILE, DEFAULT_TITLE, type Conversation, type StoredMessage} from "../lib/types.js";
import {answerAfter, showVersion, startVersion, versionPosition} from "../lib/versions.js";
import {fromMessageRecord, toMessageRecord} from "../lib/messageRecords.js";
import {useProfiles} from "./useProfiles.js";
import {answeringInThisBrowser} from "./answeringElsewhere.js";
import {guardedLocalStorage} from "./useLocalCopy.js";
import {forgetNotSaved, noteSave} from "./useChatsNotSaved.js";

export const CONVERSATIONS_STORAGE = "kvshare.conversations";
const TITLE_LENGTH = 48;
/** The longest title the server stores. */
export const MAX_TITLE_CHARS = 500;
/** Typing in the system prompt saves after this pause. */
const SAVE_DEBOUNCE_MS = 400;

interface ConversationsState {
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
    /** Starts a chat for a profile (or reuses its empty active chat) and selects it. */
    create: (profile?: string) => string;
    select: (id: string) => void;
    /** After a profile switch: that profile's most recent chat, or a new one. */
    showProfile: (profile: string) => void;
    remove: (id: string) => void;
    /** Names a chat (blank names are ignored); a chat named so keeps its name when its first question is edited. */
    rename: (id: string, title: string) => void;
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

export function titleFrom(text: string): string {
    const line = text.replace(/\s+/g, " ").trim();
    if (line === "") return DEFAULT_TITLE;
    return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1).trimEnd()}…` : line;
}

function activeProfile(): string {
    return useProfiles.getState().active || DEFAULT_PROFILE;
}

function blankConversation(profile: string): Conversation {
    const now = Date.now();
    return {id: newId(), title: DEFAULT_TITLE, profile, systemPrompt: "", params: {...DEFAULT_PARAMS}, messages: [], createdAt: now, updatedAt: now};
}

/** The time of a change to `c`: now, and always after its last change (two changes can share a millisecond). */
function changedAt(c: Pick<Conversation, "updatedAt">): number {
    return Math.max(Date.now(), c.updatedAt + 1);
}

/** Applies `change` to one conversation and moves it to the top of the list. */
function touch(list: Conversation[], id: string, change: (c: Conversation) => Conversation): Conversation[] {
    const found = list.find((c) => c.id === id);
    if (!found) return list;
    return [{...change(found), updatedAt: changedAt(found)}, ...list.filter((c) => c.id !== id)];
}

export function toRecord(c: Conversation): ConversationRecord {
    return {
        id: c.id,
        title: c.title,
        profile: c.profile,
        systemPrompt: c.systemPrompt,
        params: c.params,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        messages: c.messages.map(toMessageRecord)
    };
}

export function fromRecord(r: ConversationRecord): Conversation {
    return {
        id: r.id,
        title: r.title,
        profile: r.profile,
        systemPrompt: r.systemPrompt,
        params: {...DEFAULT_PARAMS, ...r.params},
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        messages: r.messages.map(fromMessageRecord)
    };
}

/** Saves to the server one at a time per chat, so an older copy never overwrites a newer one. */
const saving = new Map<string, Promise<void>>();
/** Deleted chats remembered (in this browser's storage, shared by its tabs) so nothing brings them back. */
const REMOVED_KEPT = 200;
const timers = new Map<string, ReturnType<typeof setTimeout>>();
let saveNow: (id: string) => void = () => undefined;

export const useConversations = create<ConversationsState>()(
    persist(
        (set, get) => {
            /** Runs a chat's server calls in order: a save after an undone deletion lands after the deletion. */
            const queue = (id: string, task: () => Promise<void>): void => {
                const next = (saving.get(id) ?? Promise.resolve()).then(task);
                saving.set(id, next);
                void next.finally(() => {
                    if (saving.get(id) === next) saving.delete(id);
                });
            };
            const save = (id: string): void => {
                clearTimeout(timers.get(id));
                timers.delete(id);
                queue(id, async () => {
                    const conversation = get().conversations.find((c) => c.id === id);
                    // Empty chats stay local until their first message.
                    if (!conversation || conversation.messages.length === 0) return;
                    try {
                        const saved = await getBackend().admin("saveConversation", {
                            ...toRecord(conversation),
                            ...(conversation.syncedAt == null ? {} : {baseUpdatedAt: conversation.syncedAt})
                        });
                        noteSave(id);
                        if (saved.conflict != null) takeConflict(saved.conflict);
                        else
                            set({
                                conversations: get().conversations.map((c) => (c.id === id ? {...c, syncedAt: saved.updatedAt} : c)),
                                ...(get().syncError === null ? {} : {syncError: null})
                            });
                    } catch (error) {
                        noteSave(id, error);
                        set({syncError: errorMessage(error)});
                    }
                });
            };
            saveNow = save;
            /**
             * Another browser saved this chat since this copy was read, in a way this copy does not extend. Where
             * this copy holds nothing the stored one lacks, the stored one is simply taken; otherwise this copy
             * becomes a chat of its own beside the stored one, so neither loses anything. An answer streaming
             * into the chat here is let finish first (its save comes back here, with the answer).
             */
            const takeConflict = (stored: ConversationRecord): void => {
                const mine = get().conversations.find((c) => c.id === stored.id);
                if (mine == null || answeringInThisBrowser(stored.id)) return;
                const theirs: Conversation = {...fromRecord(stored), syncedAt: stored.updatedAt};
                const others = get().conversations.filter((c) => c.id !== stored.id);
                // Every version counts: a version kept only here is not to be lost either.
                if (holdsEveryMessage(stored.messages, mine.messages)) {
                    set({conversations: [...others, theirs].sort((a, b) => b.updatedAt - a.updatedAt)});
                    return;
                }
                const now = Date.now();
                const copy: Conversation = {...mine, id: newId(), title: `${mine.title} (this window's copy)`, createdAt: now, updatedAt: now};
                delete copy.syncedAt;
                set({
                    conversations: [copy, ...[...others, theirs].sort((a, b) => b.updatedAt - a.updatedAt)],
                    activeId: get().activeId === stored.id ? copy.id : get().activeId,
                    conflictNotice: `“${mine.title}” was changed in another window meanwhile: that version is kept under its name, and this window's as “${copy.title}”.`
                });
                save(copy.id);
            };
            const saveSoon = (id: string): void => {
                clearTimeout(timers.get(id));
                timers.set(
                    id,
                    setTimeout(() => save(id), SAVE_DEBOUNCE_MS)
                );
            };

            return {
                conversations: [],
                activeId: null,
                loaded: false,
                syncError: null,
                conflictNotice: null,
                dismissConflictNotice: () => set({conflictNotice: null}),
                removedIds: [],
                removedAt: {},
                restoredIds: [],
                recentlyRemoved: null,
                undoRemove: () => {
                    const removed = get().recentlyRemoved;
                    if (removed === null) return;
                    const {conversation, wasActive} = removed;
                    // The server's copy is gone: this one is saved anew, not over a stored version.
                    const restored: Conversation = {...conversation};
                    delete restored.syncedAt;
                    set({
                        conversations: [...get().conversations.filter((c) => c.id !== conversation.id), restored].sort((a, b) => b.updatedAt - a.updatedAt),
                        removedIds: get().removedIds.filter((id) => id !== conversation.id),
                        restoredIds: rememberIds(get().restoredIds, [conversation.id]),
                        recentlyRemoved: null,
                        ...(wasActive ? {activeId: conversation.id} : {})
                    });
                    save(conversation.id);
                },
                forgetRemoved: () => set({recentlyRemoved: null}),
                load: async () => {
                    let records: ConversationRecord[];
                    try {
                        records = await getBackend().admin("listConversations", {});
                    } catch (error) {
                        set({syncError: errorMessage(error)});
                        return;
                    }
                    const local = new Map(get().conversations.map((c) => [c.id, c]));
                    // The list left the server before whatever changed here meanwhile (a first message sent while
                    // the page was still loading, its answer, a deletion): where this page's copy is as new or
                    // newer, it is kept and saved again; a copy saved later elsewhere replaces it, unless this one
                    // holds messages the server never got (a save that failed, the server down): as for a refused
                    // save, this copy is saved over the stored one where it holds every stored message, and
                    // otherwise becomes a chat of its own beside it (`takeConflict`, once the list is set).
                    const hidden = (r: ConversationRecord) => get().removedIds.includes(r.id) && r.updatedAt <= (get().removedAt[r.id] ?? Infinity);
                    const conflicts: ConversationRecord[] = [];
                    const remote = records
                        .filter((r) => !hidden(r))
                        .map((r) => {
                            const mine = local.get(r.id);
                            const stored: Conversation = {...fromRecord(r), syncedAt: r.updatedAt};
                            if (mine === undefined) return stored;
                            if (mine.updatedAt < r.updatedAt) {
                                if (holdsEveryMessage(r.messages, mine.messages)) return stored;
                                // Saved again, as the newest: it drops nothing stored (the server takes such a save).
                                if (holdsEveryMessage(mine.messages, r.messages)) return {...mine, updatedAt: changedAt(r), syncedAt: r.updatedAt};
                                conflicts.push(r);
                                return mine;
                            }
                            return mine.updatedAt === r.updatedAt ? {...mine, syncedAt: r.updatedAt} : mine;
                        });
                    const known = new Map(records.map((r) => [r.id, r.updatedAt]));
                    // Empty local chats are dropped, except the open one (a fresh page starts on a new chat;
                    // the server's chats are listed beside it).
                    const localOnly = get().conversations.filter(
                        (c) => !known.has(c.id) && !get().removedIds.includes(c.id) && (c.messages.length > 0 || c.id === get().activeId)
                    );
                    const conversations = [...localOnly, ...remote].sort((a, b) => b.updatedAt - a.updatedAt);
                    const activeId = conversations.some((c) => c.id === get().activeId) ? get().activeId : null;
                    set({conversations, activeId, loaded: true, syncError: null});
                    for (const c of [...localOnly, ...remote.filter((c) => c.updatedAt > (known.get(c.id) ?? 0))]) save(c.id);
                    for (const r of conflicts) takeConflict(r);
                },
                create: (profile = activeProfile()) => {
                    const {conversations, activeId} = get();
                    const active = conversations.find((c) => c.id === activeId);
                    if (active && active.messages.length === 0 && active.profile === profile) return active.id;
                    const emptyOfProfile = conversations.find((c) => c.messages.length === 0 && c.profile === profile);
                    if (emptyOfProfile) {
                        set({activeId: emptyOfProfile.id});
                        return emptyOfProfile.id;
                    }
                    const conversation = blankConversation(profile);
                    set({conversations: [conversation, ...conversations], activeId: conversation.id});
                    return conversation.id;
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
                    set({
                        conversations,
                        activeId,
                        removedIds: rememberIds(get().removedIds, [id]),
                        removedAt: keptFor(rememberIds(get().removedIds, [id]), {...get().removedAt, [id]: removed?.updatedAt ?? Date.now()}),
                        restoredIds: get().restoredIds.filter((restored) => restored !== id),
                        recentlyRemoved: worthUndo ? {conversation: removed, wasActive: get().activeId === id} : get().recentlyRemoved
                    });
                    clearTimeout(timers.get(id));
                    timers.delete(id);
                    forgetNotSaved(id);
                    if (worthUndo)
                        queue(id, async () => {
                            try {
                                await getBackend().admin("deleteConversation", {id});
                            } catch (error) {
                                set({syncError: errorMessage(error)});
                            }
                        });
                },
                rename: (id, title) => {
                    const name = title.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE_CHARS);
                    if (name === "") return;
                    set({conversations: get().conversations.map((c) => (c.id === id && c.title !== name ? {...c, title: name, updatedAt: changedAt(c)} : c))});
                    save(id);
                },
                addMessage: (conversationId, message) => {
                    const stored: StoredMessage = {...message, id: newId(), createdAt: Date.now()};
                    set({
                        conversations: touch(get().conversations, conversationId, (c) => ({
                            ...c,
                            // A chat named by hand keeps its name.
                            title: c.messages.length === 0 && message.role === "user" && c.title === DEFAULT_TITLE ? titleFrom(message.content) : c.title,
                            messages: [...c.messages, stored]
                        }))
                    });
                    save(conversationId);
                    return stored;
                },
                addAnswer: (conversationId, questionId, answer) => {
                    const stored: StoredMessage = {...answer, id: newId(), createdAt: Date.now()};
                    set({
                        conversations: touch(get().conversations, conversationId, (c) => ({
                            ...c,
                            messages: answerAfter(c.messages, questionId, stored) ?? [...c.messages, stored]
                        }))
                    });
                    save(conversationId);
                    return stored;
                },
                addVersion: (conversationId, messageId, message) => {
                    const stored: StoredMessage = {...message, id: newId(), createdAt: Date.now()};
                    set({
                        conversations: touch(get().conversations, conversationId, (c) => {
                            const index = c.messages.findIndex((m) => m.id === messageId);
                            if (index < 0) return {...c, messages: [...c.messages, stored]};
                            // A title taken from the first question follows an edit of it (one named by hand stays).
                            const first = c.messages[0];
                            const titled =
                                index === 0 && message.role === "user" && first !== undefined && [titleFrom(first.content), DEFAULT_TITLE].includes(c.title);
                            return {...c, messages: startVersion(c.messages, index, [stored]), ...(titled ? {title: titleFrom(message.content)} : {})};
                        })
                    });
                    save(conversationId);
                    return stored;
                },
                // Which version is shown is saved with the chat (another browser opens it the same), but looking
                // at another version does not move the chat up the list.
                showVersion: (conversationId, messageId, target) => {
                    set({
                        conversations: get().conversations.map((c) => {
                            const index = c.messages.findIndex((m) => m.id === messageId);
                            const head = c.messages[index];
                            if (c.id !== conversationId || head === undefined || versionPosition(head).index === target) return c;
                            return {...c, messages: showVersion(c.messages, index, target), updatedAt: changedAt(c)};
                        })
                    });
                    save(conversationId);
                },
                // A settings change is a change of the chat (its updatedAt moves, so a reload that comes before the
                // debounced save still sends it), but it does not move the chat up the list.
                setSystemPrompt: (conversationId, systemPrompt) => {
                    set({conversations: get().conversations.map((c) => (c.id === conversationId ? {...c, systemPrompt, updatedAt: changedAt(c)} : c))});
                    saveSoon(conversationId);
                },
                setParams: (conversationId, params) => {
                    set({
                        conversations: get().conversations.map((c) =>
                            c.id === conversationId ? {...c, params: {...c.params, ...params}, updatedAt: changedAt(c)} : c
                        )
                    });
                    saveSoon(conversationId);
                }
            };
        },
        {
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
                };
            }
        }
    )
);

/**
 * Takes in the chats another tab of this browser changed (it writes them to the shared storage, which
 * tells every other tab): a chat newer there replaces this tab's copy, one new there is added. Without it
 * a tab left open on a chat would save its older copy over what the other tab added. Deletions are not
 * taken over here (the server already has them; the chat goes at the next load). Returns a stop function.
 */
export function followOtherTabs(target: Pick<Window, "addEventListener" | "removeEventListener"> = window): () => void {
    const onStorage = (event: StorageEvent): void => {
        if (event.key === CONVERSATIONS_STORAGE) takeChatsFromOtherTab(event.newValue);
    };
    target.addEventListener("storage", onStorage);
    return () => target.removeEventListener("storage", onStorage);
}

/** Adds chat ids to remembered ones (deleted, or brought back), keeping the most recent {@link REMOVED_KEPT}. */
/** The entries of `times` for the ids still remembered. */
function keptFor(ids: readonly string[], times: Readonly<Record<string, number>>): Record<string, number> {
    return Object.fromEntries(ids.flatMap((id) => (times[id] == null ? [] : [[id, times[id]]])));
}

function rememberIds(list: readonly string[], ids: readonly string[]): string[] {
    return [...list.filter((id) => !ids.includes(id)), ...ids].slice(-REMOVED_KEPT);
}

/** Merges the chats of another tab's stored state (see {@link followOtherTabs}). */
export function takeChatsFromOtherTab(raw: string | null): void {
    let theirs: Conversation[];
    let theirRemovals: string[];
    let theirRestorals: string[];
    let theirRemovalTimes: Record<string, number> = {};
    const ids = (value: unknown): string[] => (Array.isArray(value) ? value.filter((id): id is string => typeof id === "string") : []);
    try {
        const parsed = JSON.parse(raw ?? "null") as {
            state?: {conversations?: unknown; removedIds?: unknown; removedAt?: unknown; restoredIds?: unknown};
        } | null;
        if (!Array.isArray(parsed?.state?.conversations)) return;
        theirs = parsed.state.conversations as Conversation[];
        theirRemovals = ids(parsed.state.removedIds);
        theirRestorals = ids(parsed.state.restoredIds);
        const times = parsed.state.removedAt;
        if (typeof times === "object" && times != null && !Array.isArray(times))
            theirRemovalTimes = Object.fromEntries(Object.entries(times).filter((entry): entry is [string, number] => typeof entry[1] === "number"));
    } catch {
        return;
    }
    const {conversations, removedIds, removedAt, restoredIds, activeId} = useConversations.getState();
    // Brought back there (undo): no longer deleted here either (a tab's old copy, without the mark, is not enough).
    const restoredThere = theirRestorals.filter((id) => removedIds.includes(id) && !theirRemovals.includes(id));
    const stillRemoved = removedIds.filter((id) => !restoredThere.includes(id));
    // Deleted there: gone here too (it is off the server already), and remembered here as well.
    const newlyRemoved = theirRemovals.filter((id) => !stillRemoved.includes(id));
    const removed = rememberIds(stillRemoved, newlyRemoved);
    const restored = rememberIds(
        restoredIds.filter((id) => !newlyRemoved.includes(id)),
        restoredThere
    );
    let merged = conversations.filter((c) => !newlyRemoved.includes(c.id));
    let changed = merged.length !== conversations.length || newlyRemoved.length > 0 || restoredThere.length > 0;
    const ours = new Map(merged.map((c) => [c.id, c]));
    for (const other of theirs) {
        if (typeof other?.id !== "string" || removed.includes(other.id)) continue;
        const mine = ours.get(other.id);
        if (mine === undefined) {
            if (other.messages.length === 0) continue;
            merged.push(other);
            changed = true;
        } else if (other.updatedAt > mine.updatedAt || (other.updatedAt === mine.updatedAt && (other.syncedAt ?? 0) > (mine.syncedAt ?? 0))) {
            // Newer there, or the same copy that tab has since saved (what the server holds is what a save grows from).
            merged = merged.map((c) => (c === mine ? other : c));
            changed = true;
        }
    }
    if (!changed) return;
    merged.sort((a, b) => b.updatedAt - a.updatedAt);
    useConversations.setState({
        conversations: merged,
        removedIds: removed,
        removedAt: keptFor(removed, {...theirRemovalTimes, ...removedAt}),
        restoredIds: restored,
        activeId: merged.some((c) => c.id === activeId) ? activeId : null
    });
}

/** Resolves when every pending save has reached the server (tests, and before a reload). */
export async function flushConversationSaves(): Promise<void> {
    for (const id of [...timers.keys()]) saveNow(id);
    await Promise.all([...saving.values()]);
}

export function selectActiveConversation(state: Pick<ConversationsState, "conversations" | "activeId">): Conversation | undefined {
    return state.conversations.find((c) => c.id === state.activeId);
}
