import type {ChatParams} from "../../shared/backend.js";
import type {ConversationRecord, ConversationSettings, SaveConversationResult, StoredMessageRecord} from "../../shared/admin.js";
import {CONVERSATION_PAGE, holdsEveryWord, readConversationCursor, searchWords} from "../../shared/conversationSearch.js";
import {mergeSettings, sameSettings, settingsOf} from "../../shared/conversationSettings.js";
import {lastActiveAt} from "../../shared/chatActivity.js";
import {keptHit, withKeptHits} from "../../shared/keptHit.js";
import {deletedIdsOf, holdsEveryMessage, withoutMessages} from "../../shared/messageVersions.js";
import {CHAT_PARAM_KEYS, type KvShareRecord} from "../../shared/openai.js";
import {maxContent, validDeletedIds, validMessages} from "./conversationMessages.js";
import {invalidInput} from "./errors.js";
import type {AppDatabase} from "./ports.js";
import {idPattern, profileNamePattern} from "../../shared/names.js";
import {isObject, objectInput, optionalBoolean, optionalString, requiredString, timestamp} from "./validate.js";

interface ConversationRow {
    id: string;
    profile: string;
    title: string;
    system_prompt: string;
    params: string;
    created_at: number;
    updated_at: number;
    pinned: number;
    deleted_message_ids: string | null;
}

interface MessageRow {
    conversation_id: string;
    id: string;
    role: "user" | "assistant";
    content: string;
    created_at: number;
    stats: string | null;
    hit: string | null;
    error: string | null;
    /** The other versions of the chat from this message on (JSON), and where the one shown sits among them. */
    alternatives: string | null;
    alternative_index: number | null;
}

function parseJson<T>(text: string | null): T | undefined {
    if (text == null) return undefined;
    try {
        return JSON.parse(text) as T;
    } catch {
        return undefined;
    }
}

/**
 * GET /kvshare/conversations: chats with their messages, newest last message first (shared/chatActivity.ts), a page
 * ({@link CONVERSATION_PAGE}) at a time: `before` (a cursor: where the last chat of the page before is listed) for
 * older ones; `text`, only those whose title or messages hold each of its words (any case, any script), so a chat no
 * page read yet is found too; `pinned`, the pinned ones only, all of them in one answer (a few, and the list shows
 * them all on top).
 */
export function listConversations(appDb: AppDatabase, input: {profile?: string; before?: string; text?: string; pinned?: boolean} = {}): ConversationRecord[] {
    const db = appDb.get();
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (input.profile != null) {
        conditions.push("profile = ?");
        params.push(input.profile);
    }
    if (input.pinned === true) conditions.push("pinned = 1");
    if (input.before != null) {
        const cursor = readConversationCursor(input.before);
        if (cursor == null) throw invalidInput("'before' must be a cursor from a listing (where its last chat is listed).", "before");
        conditions.push("(last_active_at, updated_at, id) < (?, ?, ?)");
        params.push(cursor.lastActiveAt, cursor.updatedAt, cursor.id);
    }
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    const words = searchWords(input.text ?? "");
    // Read whole (a chat's row is small): its messages are read one chat at a time as the page fills.
    const rows = db.prepare(`SELECT * FROM conversations ${where} ORDER BY last_active_at DESC, updated_at DESC, id DESC`).all(...params) as ConversationRow[];
    const page: ConversationRecord[] = [];
    for (const row of rows) {
        const record = toRecord(appDb, row);
        if (words.length > 0 && !holdsEveryWord([record.title, ...record.messages.map((m) => m.content)], words)) continue;
        page.push(record);
        // The pinned chats come whole (a few, and the list shows them all on top).
        if (page.length === CONVERSATION_PAGE && input.pinned !== true) break;
    }
    return page;
}

/** A stored chat's settings (what it keeps besides its messages). */
function settingsOfRow(row: ConversationRow): ConversationSettings {
    return {title: row.title, systemPrompt: row.system_prompt, params: parseJson<ChatParams>(row.params) ?? {}, pinned: row.pinned === 1};
}

/** A stored chat with its messages. */
/** The chat's deleted message ids as a record holds them (absent: none). */
function storedDeletedIds(row: ConversationRow): Pick<ConversationRecord, "deletedMessageIds"> {
    const ids = parseJson<string[]>(row.deleted_message_ids);
    return ids == null || ids.length === 0 ? {} : {deletedMessageIds: ids};
}

function toRecord(appDb: AppDatabase, row: ConversationRow): ConversationRecord {
    const messages = appDb.get().prepare("SELECT * FROM messages WHERE conversation_id = ? ORDER BY position").all(row.id) as MessageRow[];
    const {title, systemPrompt, params, pinned} = settingsOfRow(row);
    return {
        id: row.id,
        title,
        profile: row.profile,
        systemPrompt,
        params,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        ...(pinned === true ? {pinned} : {}),
        ...storedDeletedIds(row),
        messages: messages.map((m) => {
            const message: StoredMessageRecord = {id: m.id, role: m.role, content: m.content, createdAt: m.created_at};
            const stats = parseJson<Record<string, unknown>>(m.stats);
            const hit = parseJson<KvShareRecord>(m.hit);
            if (stats != null) message.stats = stats;
            // Chats saved before hit records were kept without donor texts lose them as they are read.
            if (hit != null) message.hit = keptHit(hit);
            if (m.error != null) message.error = m.error;
            const alternatives = parseJson<StoredMessageRecord[][]>(m.alternatives);
            if (alternatives != null && alternatives.length > 0) {
                message.alternatives = alternatives.map((version) => withKeptHits(version));
                message.alternativeIndex = m.alternative_index ?? alternatives.length;
            }
            return message;
        })
    };
}

function validParams(value: unknown, param = "params"): ChatParams {
    if (value === undefined) return {};
    if (!isObject(value)) throw invalidInput(`'${param}' must be an object.`, param);
    const params: ChatParams = {};
    for (const key of CHAT_PARAM_KEYS) {
        const v = value[key];
        if (v === undefined || v === null) continue;
        if (typeof v !== "number" || !Number.isFinite(v)) throw invalidInput(`'${param}.${key}' must be a number.`, `${param}.${key}`);
        params[key] = v;
    }
    return params;
}

/** The settings the saving window last read from the server (`baseSettings`), if it sent them (older apps do not). */
function validBaseSettings(value: unknown): ConversationSettings | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) throw invalidInput("'baseSettings' must be an object.", "baseSettings");
    return {
        title: requiredString(value.title, "baseSettings.title", 500),
        systemPrompt: optionalString(value.systemPrompt, "baseSettings.systemPrompt", maxContent) ?? "",
        params: validParams(value.params, "baseSettings.params"),
        pinned: optionalBoolean(value.pinned, "baseSettings.pinned")
    };
}

/** Validates a whole conversation as the renderer sends it. */
export function validConversation(input: unknown, now = Date.now()): ConversationRecord {
    const value = objectInput(input, "The conversation");
    const messages = validMessages(value.messages, now);
    const deletedMessageIds = validDeletedIds(value.deletedMessageIds);
    return {
        id: requiredString(value.id, "id", 80, idPattern),
        title: requiredString(value.title, "title", 500),
        profile: requiredString(value.profile, "profile", 64, profileNamePattern),
        systemPrompt: optionalString(value.systemPrompt, "systemPrompt", maxContent) ?? "",
        params: validParams(value.params),
        createdAt: timestamp(value.createdAt, "createdAt", now),
        updatedAt: timestamp(value.updatedAt, "updatedAt", now),
        ...(optionalBoolean(value.pinned, "pinned") ? {pinned: true} : {}),
        messages,
        ...(deletedMessageIds == null ? {} : {deletedMessageIds})
    };
}

/**
 * PUT /kvshare/conversations/{id}: creates or replaces a chat and its messages (one transaction). A chat open
 * in two browsers is saved from both: a copy is saved over the stored one when it grew from it (`baseUpdatedAt`
 * is the stored version's) or holds every stored message, those of versions not shown included (it only adds
 * to them, shows another version, or is the same save again); otherwise it would drop what the other window
 * saved, so nothing is saved and the stored copy comes back as `conflict`. (The times are the browsers' clocks,
 * so equal times never mean the same save.) Which version is shown is the last saver's. So are the chat's
 * settings (title, system prompt, each parameter, pinned) where the copy grew from the stored version or says nothing
 * of its base; saved over a later version, only those it changed since `baseSettings` are its own, the others
 * stay as another window saved them, and the settings saved come back as `settings` where they differ from
 * the copy's.
 */
export function saveConversation(appDb: AppDatabase, input: unknown): SaveConversationResult {
    const conversation = validConversation(input);
    const base = (input as {baseUpdatedAt?: unknown}).baseUpdatedAt;
    if (base != null && (typeof base !== "number" || !Number.isFinite(base))) throw invalidInput("'baseUpdatedAt' must be a number.", "baseUpdatedAt");
    const baseSettings = validBaseSettings((input as {baseSettings?: unknown}).baseSettings);
    const db = appDb.get();
    return db.transaction((): SaveConversationResult => {
        const stored = db.prepare("SELECT * FROM conversations WHERE id = ?").get(conversation.id) as ConversationRow | undefined;
        let settings = settingsOf(conversation);
        if (stored != null && stored.updated_at !== base) {
            const storedRecord = toRecord(appDb, stored);
            if (!holdsEveryMessage(conversation.messages, storedRecord.messages, conversation.deletedMessageIds))
                return {id: conversation.id, updatedAt: stored.updated_at, conflict: storedRecord};
            // Another window saved since this copy's base: what it changed stays unless this copy changed it too.
            if (baseSettings != null) settings = mergeSettings(settingsOfRow(stored), baseSettings, settings);
        }
        // The sync version never goes back: an older copy saved over a later version (a browser's repeated save, a
        // slow clock) is stored as of the later one, so the browser holding that version does not read its copy as
        // newer than the server's, and pages by the sync version keep their order.
        const updatedAt = Math.max(conversation.updatedAt, stored?.updated_at ?? conversation.updatedAt);
        // A message deleted in any window stays deleted: a copy read before the deletion is saved without it.
        const sent = conversation.deletedMessageIds ?? [];
        const sentIds = new Set(sent);
        const deleted = deletedIdsOf(stored == null ? [] : storedDeletedIds(stored).deletedMessageIds, sent);
        const messages = withoutMessages(conversation.messages, new Set(deleted));
        db.prepare(
            "INSERT INTO conversations (id, profile, title, system_prompt, params, created_at, updated_at, pinned, last_active_at, deleted_message_ids) " +
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " +
                "ON CONFLICT(id) DO UPDATE SET profile = excluded.profile, title = excluded.title, system_prompt = excluded.system_prompt, " +
                "params = excluded.params, updated_at = excluded.updated_at, pinned = excluded.pinned, last_active_at = excluded.last_active_at, " +
                "deleted_message_ids = excluded.deleted_message_ids"
        ).run(
            conversation.id,
            conversation.profile,
            settings.title,
            settings.systemPrompt,
            JSON.stringify(settings.params),
            conversation.createdAt,
            updatedAt,
            settings.pinned === true ? 1 : 0,
            // The chat keeps the creation time first stored, and is listed by what a reader of it will compute.
            lastActiveAt({createdAt: stored?.created_at ?? conversation.createdAt, messages}),
            deleted.length === 0 ? null : JSON.stringify(deleted)
        );
        db.prepare("DELETE FROM messages WHERE conversation_id = ?").run(conversation.id);
        const insert = db.prepare(
            "INSERT INTO messages (conversation_id, id, position, role, content, created_at, stats, hit, error, alternatives, alternative_index) " +
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        messages.forEach((m, position) =>
            insert.run(
                conversation.id,
                m.id,
                position,
                m.role,
                m.content,
                m.createdAt,
                m.stats == null ? null : JSON.stringify(m.stats),
                m.hit == null ? null : JSON.stringify(m.hit),
                m.error ?? null,
                m.alternatives == null ? null : JSON.stringify(m.alternatives),
                m.alternativeIndex ?? null
            )
        );
        return {
            id: conversation.id,
            updatedAt,
            ...(sameSettings(settings, conversation) ? {} : {settings}),
            ...(deleted.some((id) => !sentIds.has(id)) ? {deletedMessageIds: deleted} : {})
        };
    })();
}

/** DELETE /kvshare/conversations/{id} */
export function deleteConversation(appDb: AppDatabase, input: {id?: unknown}): {deleted: boolean} {
    const id = requiredString(input.id, "id", 80, idPattern);
    const info = appDb.get().prepare("DELETE FROM conversations WHERE id = ?").run(id);
    return {deleted: info.changes > 0};
}
