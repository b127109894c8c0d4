import type {StoredMessageRecord} from "../../shared/admin.js";
import {keptHit} from "../../shared/keptHit.js";
import {deletedIdsOf, MAX_DELETED_IDS} from "../../shared/messageVersions.js";
import type {KvShareRecord} from "../../shared/openai.js";
import {invalidInput} from "./errors.js";
import {idPattern} from "../../shared/names.js";
import {isObject, optionalString, requiredString, timestamp} from "./validate.js";

/** Messages of one chat, every version counted: what one save may hold. */
export const maxMessages = 5000;
/** Characters of one message (and of a system prompt). */
export const maxContent = 1_000_000;
/**
 * Versions kept inside kept versions: an edit in an older version that is then left for another nests one
 * level. Far more than a person makes by hand; it bounds the recursion of reading and writing a chat.
 */
export const maxVersionDepth = 100;

/** The ids of a chat's deleted messages as the renderer sends them (`deletedMessageIds`), or none. */
export function validDeletedIds(value: unknown): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    const param = "deletedMessageIds";
    if (!Array.isArray(value)) throw invalidInput(`'${param}' must be a list of message ids.`, param);
    if (value.length > MAX_DELETED_IDS) throw invalidInput(`A conversation keeps at most ${MAX_DELETED_IDS} deleted message ids.`, param);
    const ids = value.map((id, i) => requiredString(id, `${param}[${i}]`, 80, idPattern));
    return ids.length === 0 ? undefined : deletedIdsOf(ids, []);
}

/** What the messages of one chat have used up so far, across its versions. */
interface Walk {
    now: number;
    ids: Set<string>;
}

/** A chat's messages as the renderer sends them, with the versions they keep (each checked the same way). */
export function validMessages(value: unknown, now: number): StoredMessageRecord[] {
    if (!Array.isArray(value)) throw invalidInput("'messages' must be a list.", "messages");
    return validList(value, "messages", {now, ids: new Set()}, 0);
}

function validList(list: unknown[], param: string, walk: Walk, depth: number): StoredMessageRecord[] {
    // Counted before each list is read: a huge list is refused without reading it.
    if (walk.ids.size + list.length > maxMessages)
        throw invalidInput(`A conversation holds at most ${maxMessages} messages, all versions counted.`, "messages");
    return list.map((m, i) => validMessage(m, `${param}[${i}]`, walk, depth));
}

function validMessage(value: unknown, param: string, walk: Walk, depth: number): StoredMessageRecord {
    if (!isObject(value)) throw invalidInput(`'${param}' must be an object.`, param);
    const role = value.role;
    if (role !== "user" && role !== "assistant") throw invalidInput(`'${param}.role' must be "user" or "assistant".`, `${param}.role`);
    if (typeof value.content !== "string" || value.content.length > maxContent)
        throw invalidInput(`'${param}.content' must be a string of at most ${maxContent} characters.`, `${param}.content`);
    const message: StoredMessageRecord = {
        id: requiredString(value.id, `${param}.id`, 80, idPattern),
        role,
        content: value.content,
        createdAt: timestamp(value.createdAt, `${param}.createdAt`, walk.now)
    };
    // Unique across versions too: a version is shown by moving its messages, found by their ids.
    if (walk.ids.has(message.id)) throw invalidInput("Message ids must be unique in a conversation.", "messages");
    walk.ids.add(message.id);
    // And counted as read: a list checked before a long version nested in one of its messages would let both in.
    if (walk.ids.size > maxMessages) throw invalidInput(`A conversation holds at most ${maxMessages} messages, all versions counted.`, "messages");
    if (value.stats !== undefined) {
        if (!isObject(value.stats)) throw invalidInput(`'${param}.stats' must be an object.`, `${param}.stats`);
        message.stats = value.stats;
    }
    if (value.hit !== undefined) {
        if (!isObject(value.hit) || typeof value.hit.mode !== "string") throw invalidInput(`'${param}.hit' must be a hit record (x_kvshare).`, `${param}.hit`);
        message.hit = keptHit(value.hit as unknown as KvShareRecord);
    }
    const error = optionalString(value.error, `${param}.error`, 10_000);
    if (error != null) message.error = error;
    const versions = validVersions(value, param, walk, depth);
    if (versions != null) {
        message.alternatives = versions;
        message.alternativeIndex = validIndex(value.alternativeIndex, `${param}.alternativeIndex`, versions.length);
    }
    return message;
}

/** The other versions a message keeps, or none (an empty list is none). */
function validVersions(value: Record<string, unknown>, param: string, walk: Walk, depth: number): StoredMessageRecord[][] | undefined {
    const versions = value.alternatives;
    if (versions === undefined || (Array.isArray(versions) && versions.length === 0)) return undefined;
    const at = `${param}.alternatives`;
    if (!Array.isArray(versions) || !versions.every((v) => Array.isArray(v) && v.length > 0))
        throw invalidInput(`'${at}' must be a list of versions, each a non-empty list of messages.`, at);
    if (depth >= maxVersionDepth) throw invalidInput(`'${at}' nests versions more than ${maxVersionDepth} deep.`, at);
    return (versions as unknown[][]).map((version, v) => {
        const head = version[0];
        // The versions of a position live on the message shown there; a kept version's first message holding
        // some too would be lost when that version is shown.
        if (isObject(head) && head.alternatives !== undefined)
            throw invalidInput(`'${at}[${v}][0].alternatives' is not allowed: the versions of a message are kept on the one shown.`, `${at}[${v}][0]`);
        return validList(version, `${at}[${v}]`, walk, depth + 1);
    });
}

/** Where the version shown sits among all of them; the last place when not said. */
function validIndex(value: unknown, param: string, versions: number): number {
    if (value === undefined || value === null) return versions;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > versions)
        throw invalidInput(`'${param}' must be a whole number from 0 to ${versions}.`, param);
    return value;
}
