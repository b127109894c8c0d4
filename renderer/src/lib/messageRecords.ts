import type {StoredMessageRecord} from "../../../shared/admin.js";
import type {AnswerStats, StoredMessage} from "./types.js";

/** A message as the server stores it, the versions it keeps included. */
export function toMessageRecord(m: StoredMessage): StoredMessageRecord {
    const record: StoredMessageRecord = {id: m.id, role: m.role, content: m.content, createdAt: m.createdAt};
    if (m.stats) record.stats = {...m.stats};
    if (m.hit) record.hit = m.hit;
    if (m.error !== undefined) record.error = m.error;
    if (m.alternatives && m.alternatives.length > 0) {
        record.alternatives = m.alternatives.map((version) => version.map(toMessageRecord));
        if (m.alternativeIndex !== undefined) record.alternativeIndex = m.alternativeIndex;
    }
    return record;
}

/** A stored message as the page keeps it. */
export function fromMessageRecord(m: StoredMessageRecord): StoredMessage {
    const message: StoredMessage = {id: m.id, role: m.role, content: m.content, createdAt: m.createdAt};
    if (m.stats) message.stats = m.stats as unknown as AnswerStats;
    if (m.hit) message.hit = m.hit;
    if (m.error !== undefined) message.error = m.error;
    if (m.alternatives && m.alternatives.length > 0) {
        message.alternatives = m.alternatives.map((version) => version.map(fromMessageRecord));
        if (m.alternativeIndex !== undefined) message.alternativeIndex = m.alternativeIndex;
    }
    return message;
}
