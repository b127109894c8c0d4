import type {ConversationRecord, ConversationSettings} from "../../../shared/admin.js";
import {deletedIdsOf, withoutMessages} from "../../../shared/messageVersions.js";
import {fromMessageRecord, toMessageRecord} from "./messageRecords.js";
import {DEFAULT_PARAMS, type Conversation} from "./types.js";

/** A chat as the server stores it: what a save sends, without what only this page keeps about it. */
export function toRecord(c: Conversation): ConversationRecord {
    return {
        id: c.id,
        title: c.title,
        profile: c.profile,
        systemPrompt: c.systemPrompt,
        params: c.params,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        ...(c.pinned === true ? {pinned: true} : {}),
        messages: c.messages.map(toMessageRecord),
        ...(c.deletedMessageIds == null || c.deletedMessageIds.length === 0 ? {} : {deletedMessageIds: [...c.deletedMessageIds]})
    };
}

/** Settings read from the server as this page shows them: a parameter left unset there is at its default here. */
export function shownSettings(s: ConversationSettings): ConversationSettings {
    return {title: s.title, systemPrompt: s.systemPrompt, params: {...DEFAULT_PARAMS, ...s.params}, pinned: s.pinned === true};
}

/** A stored chat as this page keeps it. */
export function fromRecord(r: ConversationRecord): Conversation {
    return {
        id: r.id,
        profile: r.profile,
        ...shownSettings(r),
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        messages: r.messages.map(fromMessageRecord),
        ...(r.deletedMessageIds == null || r.deletedMessageIds.length === 0 ? {} : {deletedMessageIds: [...r.deletedMessageIds]})
    };
}

/** The server's copy of a chat, as the version this page's copy grows from from now on (its time and settings). */
export function fromServer(r: ConversationRecord): Conversation {
    return {...fromRecord(r), syncedAt: r.updatedAt, syncedSettings: shownSettings(r)};
}

/**
 * This page's copy of a chat without the messages deleted elsewhere (`deleted`, as the server's copy says), their
 * ids kept with its own: the server saves no copy with them any more, so this copy drops them too.
 */
export function withDeletions(c: Conversation, deleted: unknown): Conversation {
    // Another tab's stored copy is read as it is: only a list of ids counts.
    const listed = Array.isArray(deleted) ? deleted.filter((id): id is string => typeof id === "string") : [];
    const known = new Set(c.deletedMessageIds);
    const gone = listed.filter((id) => !known.has(id));
    if (gone.length === 0) return c;
    // Ordered as the server orders them (its list first, then what was deleted here since), so at the cap both keep
    // the same ones.
    return {...c, messages: withoutMessages(c.messages, new Set(gone)), deletedMessageIds: deletedIdsOf(listed, c.deletedMessageIds)};
}
