import type {ConversationSettings} from "./admin.js";
import {CHAT_PARAM_KEYS, type ChatParams} from "./openai.js";

/**
 * A chat open in two windows may have its settings changed in both before either hears of the other. Each
 * window knows the settings it last read from (or saved to) the server, its base: what differs from the base
 * is what that window changed. Merging field by field keeps both windows' changes where they touched different
 * fields; where both changed one field, the later save's value is kept, the way a single field is saved
 * anyway. Read by the server, its test double and the renderer alike, so all three merge the same way.
 */

/** One field: `mine` where it was changed since `base`, else `theirs` (whatever was saved meanwhile). */
function pick<T>(theirs: T, base: T, mine: T): T {
    return mine === base ? theirs : mine;
}

/** The sampling parameters field by field; a parameter left unset (undefined) stays unset. */
function mergeParams(theirs: ChatParams, base: ChatParams, mine: ChatParams): ChatParams {
    const merged: ChatParams = {};
    for (const key of paramKeys(theirs, base, mine)) {
        const value = pick(theirs[key], base[key], mine[key]);
        if (value !== undefined) merged[key] = value;
    }
    return merged;
}

function paramKeys(...params: ChatParams[]): Array<keyof ChatParams> {
    return [...new Set(params.flatMap((p) => Object.keys(p) as Array<keyof ChatParams>))];
}

/**
 * `theirs` (the settings saved meanwhile) with the fields `mine` changed since `base` taken from `mine`: a
 * field changed on both sides is `mine`'s, as the later save.
 */
export function mergeSettings(theirs: ConversationSettings, base: ConversationSettings, mine: ConversationSettings): ConversationSettings {
    return {
        title: pick(theirs.title, base.title, mine.title),
        systemPrompt: pick(theirs.systemPrompt, base.systemPrompt, mine.systemPrompt),
        params: mergeParams(theirs.params, base.params, mine.params),
        pinned: pick(theirs.pinned === true, base.pinned === true, mine.pinned === true)
    };
}

/** Whether two chats' settings are the same (an unset parameter equals a missing one). */
export function sameSettings(a: ConversationSettings, b: ConversationSettings): boolean {
    return (
        a.title === b.title &&
        a.systemPrompt === b.systemPrompt &&
        (a.pinned === true) === (b.pinned === true) &&
        paramKeys(a.params, b.params).every((key) => a.params[key] === b.params[key])
    );
}

/** The settings of a chat, and nothing else of it. */
export function settingsOf(chat: ConversationSettings): ConversationSettings {
    return {title: chat.title, systemPrompt: chat.systemPrompt, params: {...chat.params}, pinned: chat.pinned === true};
}

/** The sampling of a chat read from what a browser or a file kept: the known fields holding numbers, nothing else. */
export function readChatParams(value: unknown): ChatParams {
    const params: ChatParams = {};
    if (typeof value !== "object" || value === null) return params;
    for (const key of CHAT_PARAM_KEYS) {
        const v = (value as Record<string, unknown>)[key];
        if (typeof v === "number" && Number.isFinite(v)) params[key] = v;
    }
    return params;
}
