import {shownIndex, show, versionsAt} from "../../../shared/messageVersions.js";
import type {StoredMessage} from "./types.js";

/**
 * The versions of a chat (see {@link StoredMessage.alternatives}): a question edited, or an answer
 * regenerated, starts a new version from that message on and keeps the old one. `messages` is always the
 * version shown; these functions return a new list and change nothing they are given.
 */

/** Where the version shown sits and how many there are, at a message of the shown list. */
export interface VersionPosition {
    index: number;
    count: number;
}

export function versionPosition(message: StoredMessage): VersionPosition {
    return {index: shownIndex(message), count: (message.alternatives?.length ?? 0) + 1};
}

/**
 * Starts a new version at position `at` holding `continuation` (an edited question, a new answer): the
 * version shown until now, from `at` on, is kept, and the new one is shown, last in the order.
 */
export function startVersion(messages: readonly StoredMessage[], at: number, continuation: readonly StoredMessage[]): StoredMessage[] {
    if (at < 0 || at >= messages.length || continuation.length === 0) return [...messages];
    const versions = versionsAt(messages, at);
    return show(messages, at, [...versions, [...continuation]], versions.length);
}

/** Shows version `target` (0-based) of the chat from position `at` on; the one shown until now is kept. */
export function showVersion(messages: readonly StoredMessage[], at: number, target: number): StoredMessage[] {
    const versions = versionsAt(messages, at);
    if (target < 0 || target >= versions.length) return [...messages];
    return show(messages, at, versions, target);
}

/**
 * Keeps `answer` after the question `questionId`, in whichever version holds it (the one shown, or one kept on
 * a message, at any depth): right after it where it is last there, else as a new version from the message after
 * it (a regenerated answer). The version shown stays the one shown: an answer to a version kept aside is added
 * there. Undefined where no version holds the question.
 */
export function answerAfter(messages: readonly StoredMessage[], questionId: string, answer: StoredMessage): StoredMessage[] | undefined {
    const at = messages.findIndex((m) => m.id === questionId);
    if (at >= 0) return at === messages.length - 1 ? [...messages, answer] : startVersion(messages, at + 1, [answer]);
    for (const [index, message] of messages.entries()) {
        const versions = message.alternatives ?? [];
        for (const [which, version] of versions.entries()) {
            const changed = answerAfter(version, questionId, answer);
            if (changed === undefined) continue;
            const kept = [...messages];
            kept[index] = {...message, alternatives: versions.map((other, i) => (i === which ? changed : other))};
            return kept;
        }
    }
    return undefined;
}
