import type {ConversationRecord, StoredMessageRecord} from "../../../shared/admin.js";
import {readChatParams} from "../../../shared/conversationSettings.js";
import {CHATS_EXPORT_FORMAT} from "./chatExport.js";
import {fromRecord} from "./conversationRecords.js";
import {titleTyped} from "./conversationEdits.js";
import {newId} from "./ids.js";
import {MAX_MESSAGE_CHARS} from "./messageSize.js";
import type {Conversation} from "./types.js";

/** What a file of chats held: the chats to add, and how many of its entries were no chat this page can show. */
export interface ChatsRead {
    chats: Conversation[];
    skipped: number;
}

/** Thrown where a file is not a file of chats at all (then nothing of it is taken). */
export class NotAChatsFile extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Messages of one chat a file may hold, every version counted (as many as the server keeps). */
const MAX_MESSAGES = 5000;
/** Versions nested in versions, as deep as the server keeps them. */
const MAX_VERSION_DEPTH = 100;

const finishReasons = new Set(["stop", "length", "tool_calls", "function_call", "aborted", "edited"]);
const statNumbers = ["promptTokens", "cachedTokens", "completionTokens", "tokensPerSecond", "ttftMs", "elapsedMs", "streamedPieces"] as const;

/** An answer's stats as the page draws them: its numbers and how it ended, nothing else (the stats line shows them as they are). */
function readStats(value: unknown): StoredMessageRecord["stats"] | undefined {
    if (!isObject(value) || typeof value.finishReason !== "string" || !finishReasons.has(value.finishReason)) return undefined;
    const stats: Record<string, unknown> = {finishReason: value.finishReason};
    for (const key of statNumbers) if (typeof value[key] === "number" && Number.isFinite(value[key])) stats[key] = value[key];
    if (typeof value.kvMode === "string") stats.kvMode = value.kvMode;
    return stats;
}

/** What a file's messages have used up so far: their count, and the time now (no message is dated later). */
interface Walk {
    count: number;
    now: number;
}

/**
 * A message of a file as this page keeps it, its versions included; null where it is none (a chat with one is
 * skipped). Each gets a new id (ids are a chat's own; the file's need be neither unique nor of this app's form); the
 * hit records are left out (they describe another cache's reuse, and the page draws them trusting their shape).
 */
function readMessage(value: unknown, depth: number, walk: Walk): StoredMessageRecord | null {
    if (!isObject(value) || typeof value.content !== "string" || value.content.length > MAX_MESSAGE_CHARS) return null;
    if (value.role !== "user" && value.role !== "assistant") return null;
    if (++walk.count > MAX_MESSAGES) return null;
    const createdAt = typeof value.createdAt === "number" && Number.isFinite(value.createdAt) ? Math.min(Math.max(0, value.createdAt), walk.now) : walk.now;
    const message: StoredMessageRecord = {id: newId(), role: value.role, content: value.content, createdAt};
    const stats = readStats(value.stats);
    if (stats !== undefined) message.stats = stats;
    if (typeof value.error === "string") message.error = value.error.slice(0, 10_000);
    if (Array.isArray(value.alternatives) && value.alternatives.length > 0) {
        if (depth >= MAX_VERSION_DEPTH) return null;
        const versions = value.alternatives.map((version) => (Array.isArray(version) && version.length > 0 ? readMessages(version, depth + 1, walk) : null));
        if (versions.some((version) => version === null)) return null;
        message.alternatives = versions as StoredMessageRecord[][];
        const shown = value.alternativeIndex;
        message.alternativeIndex =
            Number.isInteger(shown) && (shown as number) >= 0 && (shown as number) <= versions.length ? (shown as number) : versions.length;
    }
    return message;
}

function readMessages(list: unknown[], depth: number, walk: Walk): StoredMessageRecord[] | null {
    if (walk.count + list.length > MAX_MESSAGES) return null;
    const messages = list.map((m) => readMessage(m, depth, walk));
    return messages.every((m) => m !== null) ? (messages as StoredMessageRecord[]) : null;
}

/**
 * The chats of a file written by "Download" (this app's export), as new chats of `profileFor(theirs)`: each gets a
 * new id (a file read twice adds its chats twice, and replaces none), and keeps its title, settings (a pin too), messages and
 * versions, within what the server keeps (see readMessage). Entries that are no chat are skipped and counted; a
 * file that is not an export of chats is refused.
 */
export function readChatsFile(text: string, profileFor: (profile: string) => string, now = Date.now()): ChatsRead {
    let file: unknown;
    try {
        file = JSON.parse(text);
    } catch {
        throw new NotAChatsFile("This file is not JSON: choose a file of chats this app downloaded.");
    }
    if (!isObject(file) || file.format !== CHATS_EXPORT_FORMAT || !Array.isArray(file.conversations))
        throw new NotAChatsFile('This file is not a file of chats this app downloaded (its "format" is not "kvshare-chats").');
    if (file.version !== 1) throw new NotAChatsFile(`This file of chats is of a later version (${String(file.version)}) than this app reads (1).`);
    const chats: Conversation[] = [];
    let skipped = 0;
    file.conversations.forEach((value: unknown, i: number) => {
        const messages = isObject(value) && Array.isArray(value.messages) ? readMessages(value.messages, 0, {count: 0, now}) : null;
        if (!isObject(value) || messages === null || messages.length === 0 || typeof value.title !== "string") {
            skipped++;
            return;
        }
        const record: ConversationRecord = {
            messages,
            id: newId(),
            title: titleTyped(value.title) || "Imported chat",
            profile: profileFor(typeof value.profile === "string" ? value.profile : ""),
            systemPrompt: typeof value.systemPrompt === "string" ? value.systemPrompt.slice(0, MAX_MESSAGE_CHARS) : "",
            params: readChatParams(value.params),
            createdAt: typeof value.createdAt === "number" && Number.isFinite(value.createdAt) ? Math.min(Math.max(0, value.createdAt), now) : now,
            // The sync version (a new copy to save); the list places each chat by its messages' times (chatActivity).
            updatedAt: now - i,
            ...(value.pinned === true ? {pinned: true} : {})
        };
        chats.push(fromRecord(record));
    });
    return {chats, skipped};
}
