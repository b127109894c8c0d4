import type {ConversationRecord, StoredMessageRecord} from "../../../shared/admin.js";
import {readChatParams} from "../../../shared/conversationSettings.js";
import {everyMessage} from "../../../shared/messageVersions.js";
import {CHATS_EXPORT_FORMAT} from "./chatExport.js";
import {fromRecord} from "./conversationRecords.js";
import {titleTyped} from "./conversationEdits.js";
import {newId} from "./ids.js";
import type {Conversation} from "./types.js";

/** What a file of chats held: the chats to add, and how many of its entries were no chat this page can show. */
export interface ChatsRead {
    chats: Conversation[];
    skipped: number;
}

/** Thrown where a file is not a file of chats at all (then nothing of it is taken). */
export class NotAChatsFile extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0;

/** A message of a file as this page keeps it, its versions included; null where it is none (a chat with one is skipped). */
function readMessage(value: unknown, depth: number): StoredMessageRecord | null {
    if (!isObject(value) || typeof value.id !== "string" || value.id === "" || typeof value.content !== "string" || !isTime(value.createdAt)) return null;
    if (value.role !== "user" && value.role !== "assistant") return null;
    const message: StoredMessageRecord = {id: value.id, role: value.role, content: value.content, createdAt: value.createdAt};
    if (isObject(value.stats)) message.stats = value.stats;
    if (isObject(value.hit) && typeof value.hit.mode === "string") message.hit = value.hit as unknown as StoredMessageRecord["hit"];
    if (typeof value.error === "string") message.error = value.error;
    if (Array.isArray(value.alternatives) && value.alternatives.length > 0) {
        // As deep as the server keeps them; a file nesting deeper is not one it wrote.
        if (depth >= 100) return null;
        const versions = value.alternatives.map((version) => (Array.isArray(version) && version.length > 0 ? readMessages(version, depth + 1) : null));
        if (versions.some((version) => version === null)) return null;
        message.alternatives = versions as StoredMessageRecord[][];
        const shown = value.alternativeIndex;
        message.alternativeIndex =
            Number.isInteger(shown) && (shown as number) >= 0 && (shown as number) <= versions.length ? (shown as number) : versions.length;
    }
    return message;
}

function readMessages(list: unknown[], depth: number): StoredMessageRecord[] | null {
    const messages = list.map((m) => readMessage(m, depth));
    return messages.every((m) => m !== null) ? (messages as StoredMessageRecord[]) : null;
}

/**
 * The chats of a file written by "Download" (this app's export), as new chats of `profileFor(theirs)`: each gets a
 * new id (a file read twice adds its chats twice, and replaces none), and keeps its title, settings, messages and
 * versions. Entries that are no chat are skipped and counted; a file that is not an export of chats is refused.
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
        const messages = isObject(value) && Array.isArray(value.messages) ? readMessages(value.messages, 0) : null;
        // Message ids are unique in a chat, its versions' included (a version is shown by moving its messages).
        const ids = messages === null ? [] : everyMessage(messages).map((m) => m.id);
        if (!isObject(value) || messages === null || messages.length === 0 || typeof value.title !== "string" || new Set(ids).size !== ids.length) {
            skipped++;
            return;
        }
        const record: ConversationRecord = {
            messages,
            id: newId(),
            title: titleTyped(value.title) || "Imported chat",
            profile: profileFor(typeof value.profile === "string" ? value.profile : ""),
            systemPrompt: typeof value.systemPrompt === "string" ? value.systemPrompt : "",
            params: readChatParams(value.params),
            createdAt: isTime(value.createdAt) ? value.createdAt : now,
            // In the file's order at the top of the list: the first chat of the file first.
            updatedAt: now - i
        };
        chats.push(fromRecord(record));
    });
    return {chats, skipped};
}
