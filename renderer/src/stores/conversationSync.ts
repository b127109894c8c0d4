import type {ConversationRecord, SaveConversationResult} from "../../../shared/admin.js";
import {CONVERSATION_PAGE, conversationCursor} from "../../../shared/conversationSearch.js";
import {sameSettings, settingsOf} from "../../../shared/conversationSettings.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";
import {byLastActivity, listedAfter, listPlace} from "../../../shared/chatActivity.js";
import {changedAt, isBlank} from "../lib/conversationEdits.js";
import {fromServer, shownSettings, toRecord, withDeletions} from "../lib/conversationRecords.js";
import {holdsEveryMessage} from "../../../shared/messageVersions.js";
import {newId} from "../lib/ids.js";
import {rebasedSettings, type ServerSettings} from "../lib/syncedSettings.js";
import type {Conversation} from "../lib/types.js";
import {answeringInThisBrowser} from "./answeringElsewhere.js";
import type {ConversationsState} from "./conversationsState.js";
import {forgetNotSaved, noteSave} from "./useChatsNotSaved.js";
import {identityEpoch, keepsChatsOnServer, signedInKnown} from "./useSignedIn.js";

/** Typing in the system prompt saves after this pause. */
const SAVE_DEBOUNCE_MS = 400;

/** Saves to the server one at a time per chat, so an older copy never overwrites a newer one. */
const saving = new Map<string, Promise<void>>();
/**
 * Copies of chats as a save stored them, where nothing changed during that save (see `save`): any change makes a new
 * object, and one no longer held is forgotten with it.
 */
const storedCopies = new WeakSet<Conversation>();
/** Saves waiting for the typing to pause. */
const timers = new Map<string, ReturnType<typeof setTimeout>>();
let saveNow: (id: string) => void = () => undefined;

/** How the chats of the store travel to and from the server (one per store; see {@link createConversationSync}). */
export interface ConversationSync {
    /** Saves a chat now (after any server call of it on its way); empty chats stay local until their first message. */
    save: (id: string) => void;
    /** Saves a chat once the typing pauses. */
    saveSoon: (id: string) => void;
    /** Saves no more of a deleted chat; deletes it on the server too (after any save on its way) where `onServer`. */
    drop: (id: string, onServer: boolean) => void;
    /** See {@link ConversationsState.load}. */
    load: () => Promise<void>;
    /** See {@link ConversationsState.refresh}. */
    refresh: () => Promise<void>;
    /** See {@link ConversationsState.loadOlder}. */
    loadOlder: () => Promise<void>;
    /** See {@link ConversationsState.findOlder}. */
    findOlder: (query: string, profile: string) => Promise<void>;
}

type Get = () => ConversationsState;
type Set = (partial: Partial<ConversationsState>) => void;

/**
 * This page's copy of a chat once the server's answer to its save is known: it grows from the version saved,
 * with the settings the server kept from another window's save (those not changed here since it was sent).
 */
function savedCopy(c: Conversation, sent: Conversation, saved: SaveConversationResult): Conversation {
    const settings = settingsOf(sent);
    return {...c, ...rebasedSettings(c, {updatedAt: saved.updatedAt, settings: saved.settings == null ? settings : shownSettings(saved.settings)}, settings)};
}

/** The settings of the server's copy `r`, as this page shows them. */
function serverSettings(r: ConversationRecord): ServerSettings {
    return {updatedAt: r.updatedAt, settings: shownSettings(r)};
}

/**
 * The server's copy `r` taken over this page's, which holds no message it lacks; settings changed only here
 * are kept on it, which makes it a change to save (its time moves on). A copy that never said what it last read
 * takes the server's settings.
 */
function takeStored(mine: Conversation, r: ConversationRecord): Conversation {
    const server = fromServer(r);
    // Messages deleted here and not yet there stay deleted (the server takes that save: the copy holds the rest).
    const stored = withDeletions(server, mine.deletedMessageIds);
    const settings = rebasedSettings(mine, serverSettings(r), mine.syncedSettings ?? settingsOf(mine));
    return sameSettings(settings, stored) && stored === server ? stored : {...stored, ...settings, updatedAt: changedAt(stored)};
}

/**
 * This page's copy of a chat beside the server's `r` in a list the server sent: which to keep, or undefined
 * where each holds messages the other lacks (a conflict). The list left the server before whatever changed
 * here meanwhile (a first message sent while the page was still loading, its answer): where this page's copy
 * is as new or newer, it is kept (and saved again where newer); a copy saved later elsewhere replaces it,
 * unless this one holds messages the server never got (a save that failed, the server down): then this copy
 * is saved over the stored one, which it holds every message of. Settings changed here since this copy last
 * read the server are kept in every case, the others taken from the server.
 */
function listedCopy(listed: Conversation, r: ConversationRecord): Conversation | undefined {
    const server = serverSettings(r);
    // Messages deleted in another browser are gone here too, whichever copy is newer.
    const mine = withDeletions(listed, r.deletedMessageIds);
    if (mine.updatedAt < r.updatedAt) {
        if (holdsEveryMessage(r.messages, mine.messages)) return takeStored(mine, r);
        // Saved again, as the newest: it drops nothing stored but what it deleted (the server takes such a save).
        if (holdsEveryMessage(mine.messages, r.messages, mine.deletedMessageIds))
            return {...mine, ...rebasedSettings(mine, server, mine.syncedSettings ?? server.settings), updatedAt: changedAt(r)};
        return undefined;
    }
    if (mine.updatedAt > r.updatedAt) return mine;
    // The same save. Where it reads back as this copy (a parameter cleared here reads back as its default), this
    // copy stays as it is; otherwise its answer was lost (a page closed) and the settings the server kept are taken.
    if (sameSettings(shownSettings(mine), server.settings)) return {...mine, syncedAt: r.updatedAt, syncedSettings: settingsOf(mine)};
    return {...mine, ...rebasedSettings(mine, server, mine.syncedSettings ?? server.settings)};
}

/** The store's server calls, over its `get` and `set`. */
export function createConversationSync(get: Get, set: Set): ConversationSync {
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
            // An issued key's chats are kept in this browser only (the server refuses it its database): nothing is
            // sent before the server has said whose key this is, and only the app's own key's chats then.
            if (!keepsChatsOnServer() && (await signedInKnown())?.app !== true) return;
            const conversation = get().conversations.find((c) => c.id === id);
            // Blank chats stay local until their first message; the very copy a save just stored is not sent again (a
            // save queued behind another of it: an import while the first list read is on its way).
            if (!conversation || isBlank(conversation) || storedCopies.has(conversation)) return;
            const epoch = identityEpoch();
            try {
                const saved = await getBackend().admin("saveConversation", {
                    ...toRecord(conversation),
                    ...(conversation.syncedAt == null ? {} : {baseUpdatedAt: conversation.syncedAt}),
                    ...(conversation.syncedSettings == null ? {} : {baseSettings: conversation.syncedSettings})
                });
                // Signed out meanwhile: the chat's answer is not taken back into a page that forgot it.
                if (epoch !== identityEpoch()) return;
                noteSave(id);
                if (saved.conflict != null) takeConflict(saved.conflict);
                else {
                    const unchanged = get().conversations.find((c) => c.id === id) === conversation;
                    set({
                        // Messages another window deleted were saved without: this copy drops them too.
                        conversations: get().conversations.map((c) =>
                            c.id === id ? withDeletions(savedCopy(c, conversation, saved), saved.deletedMessageIds) : c
                        ),
                        ...(get().syncError === null ? {} : {syncError: null})
                    });
                    // Nothing changed here while it was on its way: the copy now shown is the one stored.
                    const now = get().conversations.find((c) => c.id === id);
                    if (unchanged && now !== undefined) storedCopies.add(now);
                }
            } catch (error) {
                noteSave(id, error);
                set({syncError: errorMessage(error)});
            }
        });
    };
    saveNow = save;
    /**
     * Another browser saved this chat since this copy was read, in a way this copy does not extend. Where
     * this copy holds nothing the stored one lacks, the stored one is taken (with the settings changed here);
     * otherwise this copy becomes a chat of its own beside the stored one, so neither loses anything. An answer
     * streaming into the chat here is let finish first (its save comes back here, with the answer).
     */
    const takeConflict = (stored: ConversationRecord): void => {
        const found = get().conversations.find((c) => c.id === stored.id);
        if (found == null || answeringInThisBrowser(stored.id)) return;
        const mine = withDeletions(found, stored.deletedMessageIds);
        const others = get().conversations.filter((c) => c.id !== stored.id);
        // Every version counts: a version kept only here is not to be lost either.
        if (holdsEveryMessage(stored.messages, mine.messages)) {
            const taken = takeStored(mine, stored);
            set({conversations: byLastActivity([...others, taken])});
            if (taken.updatedAt !== stored.updatedAt) save(taken.id);
            return;
        }
        const now = Date.now();
        const copy: Conversation = {...mine, id: newId(), title: `${mine.title} (this window's copy)`, createdAt: now, updatedAt: now};
        delete copy.syncedAt;
        delete copy.syncedSettings;
        delete copy.deletedMessageIds;
        // What this window deleted stays deleted in the other version too (saved so, where there was any).
        const server = fromServer(stored);
        const theirs = withDeletions(server, mine.deletedMessageIds);
        set({
            conversations: [copy, ...byLastActivity([...others, theirs === server ? server : {...theirs, updatedAt: changedAt(server)}])],
            activeId: get().activeId === stored.id ? copy.id : get().activeId,
            conflictNotice: `“${mine.title}” was changed in another window meanwhile: that version is kept under its name, and this window's as “${copy.title}”.`
        });
        save(copy.id);
        if (theirs !== server) save(stored.id);
    };
    /**
     * Reads a page of the server's list into the store: the newest, or those after a cursor (`before`), or those
     * holding a search's words (`text`). A first load (`refresh` false) keeps local chats the server does not have
     * yet, saving them, and drops empty ones but the open one; a refresh, or an older page, leaves those as they are.
     */
    const read = async (refresh: boolean, page: {before?: string; text?: string; profile?: string; pinned?: boolean} = {}): Promise<void> => {
        // Not the app's key (or not known yet): there is no server copy to read (see `save`).
        if (!keepsChatsOnServer()) return;
        const epoch = identityEpoch();
        let records: ConversationRecord[];
        try {
            records = await getBackend().admin("listConversations", page);
        } catch (error) {
            if (epoch === identityEpoch()) set({syncError: errorMessage(error)});
            return;
        }
        // Signed out, or another key taken, while the list was on its way: it is someone else's.
        if (epoch !== identityEpoch()) return;
        const {conversations, activeId, removedIds, removedAt} = get();
        const local = new Map(conversations.map((c) => [c.id, c]));
        // Deleted here: a list sent before the deletion landed does not bring it back (a copy changed since does).
        const hidden = (r: ConversationRecord) => removedIds.includes(r.id) && r.updatedAt <= (removedAt[r.id] ?? Infinity);
        const conflicts: ConversationRecord[] = [];
        const remote = records
            .filter((r) => !hidden(r))
            .map((r) => {
                const mine = local.get(r.id);
                if (mine === undefined) return fromServer(r);
                const kept = listedCopy(mine, r);
                // Each holds messages the other lacks: settled by `takeConflict`, once the list is set.
                if (kept === undefined) conflicts.push(r);
                return kept ?? mine;
            });
        const known = new Map(records.map((r) => [r.id, r.updatedAt]));
        const last = records.at(-1);
        // The page reaches as far back as its last chat, or (a page that came short) to the first chat there is.
        const beyondPage = (c: Conversation): boolean =>
            records.length === CONVERSATION_PAGE && last !== undefined && listedAfter(listPlace(c), listPlace(last));
        // What this page holds that the server's first page does not: on a first load, a chat never saved, or changed
        // here since, is saved; one the server had, unchanged since, is kept where it is older than the page (read
        // from an older page before: nothing to save), and gone where the page reaches it (deleted in another
        // browser: not brought back). A refresh, an older page or a search leaves them as they are.
        const untouched = (c: Conversation): boolean => c.syncedAt != null && c.updatedAt <= c.syncedAt;
        const unlisted = conversations.filter((c) => !known.has(c.id) && !removedIds.includes(c.id));
        // Blank local chats are dropped, except the open one (a fresh page starts on a new chat; the server's
        // chats are listed beside it).
        const localOnly = refresh
            ? unlisted
            : unlisted.filter((c) => (untouched(c) ? beyondPage(c) || answeringInThisBrowser(c.id) : !isBlank(c) || c.id === activeId));
        const toSave = refresh ? [] : localOnly.filter((c) => !untouched(c));
        const merged = byLastActivity([...localOnly, ...remote]);
        // Where the next older page starts: after the first page and each older one (a refresh reads the newest
        // again, and a search's matches are no page); none once a page comes short.
        const paged = page.text === undefined && (!refresh || page.before !== undefined);
        set({
            conversations: merged,
            activeId: merged.some((c) => c.id === activeId) ? activeId : null,
            loaded: true,
            ...(paged ? {olderCursor: records.length === CONVERSATION_PAGE && last !== undefined ? conversationCursor(listPlace(last)) : null} : {}),
            // A refresh saves none of the chats a failed save left behind: the notice of it stays.
            ...(refresh ? {} : {syncError: null})
        });
        for (const c of [...toSave, ...remote.filter((c) => c.updatedAt > (known.get(c.id) ?? 0))]) save(c.id);
        for (const r of conflicts) takeConflict(r);
    };

    return {
        save,
        saveSoon: (id) => {
            clearTimeout(timers.get(id));
            timers.set(
                id,
                setTimeout(() => save(id), SAVE_DEBOUNCE_MS)
            );
        },
        drop: (id, onServer) => {
            clearTimeout(timers.get(id));
            timers.delete(id);
            forgetNotSaved(id);
            if (onServer)
                queue(id, async () => {
                    if (!keepsChatsOnServer() && (await signedInKnown())?.app !== true) return;
                    try {
                        await getBackend().admin("deleteConversation", {id});
                    } catch (error) {
                        set({syncError: errorMessage(error)});
                    }
                });
        },
        load: async () => {
            await read(false);
            // A pinned chat older than the first page is on top of the list all the same (read as a refresh: it
            // moves no page's cursor and saves nothing).
            if (get().olderCursor !== null) await read(true, {pinned: true});
        },
        refresh: () => read(true),
        loadOlder: async () => {
            const before = get().olderCursor;
            if (before !== null) await read(true, {before});
        },
        findOlder: async (query, profile) => {
            // As long a search as the server takes; the words past it only narrow what the page filters anyway.
            const text = query.trim().slice(0, 1000);
            if (get().olderCursor !== null && text !== "") await read(true, {text, profile});
        }
    };
}

/** Resolves when every pending save has reached the server (tests, and before a reload). */
export async function flushConversationSaves(): Promise<void> {
    for (const id of [...timers.keys()]) saveNow(id);
    await Promise.all([...saving.values()]);
}
