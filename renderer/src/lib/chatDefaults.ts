import {readChatParams} from "../../../shared/conversationSettings.js";
import type {ChatParams} from "../../../shared/openai.js";
import {DEFAULT_PARAMS} from "./types.js";

/** Where the settings new chats start with are kept in this browser (a sign-out forgets them with the app's storage). */
export const CHAT_DEFAULTS_STORAGE = "kvshare.chatDefaults";

/** What a new chat starts with: a system prompt and sampling. */
export interface ChatDefaults {
    systemPrompt: string;
    params: ChatParams;
}

/** The app's own: no system prompt, its default sampling. */
export const APP_CHAT_DEFAULTS: Readonly<ChatDefaults> = {systemPrompt: "", params: DEFAULT_PARAMS};

/** The settings new chats start with here: those saved with "Use for new chats", else the app's. */
export function loadChatDefaults(storage: () => Storage = () => localStorage): ChatDefaults {
    try {
        const raw = storage().getItem(CHAT_DEFAULTS_STORAGE);
        if (raw === null) return {...APP_CHAT_DEFAULTS, params: {...DEFAULT_PARAMS}};
        const value = JSON.parse(raw) as {systemPrompt?: unknown; params?: unknown};
        return {systemPrompt: typeof value.systemPrompt === "string" ? value.systemPrompt : "", params: readChatParams(value.params)};
    } catch {
        return {...APP_CHAT_DEFAULTS, params: {...DEFAULT_PARAMS}};
    }
}

/** Saves the settings new chats start with; null: back to the app's. Returns whether the browser kept them. */
export function saveChatDefaults(defaults: ChatDefaults | null, storage: () => Storage = () => localStorage): boolean {
    try {
        if (defaults === null) storage().removeItem(CHAT_DEFAULTS_STORAGE);
        else storage().setItem(CHAT_DEFAULTS_STORAGE, JSON.stringify({systemPrompt: defaults.systemPrompt, params: readChatParams(defaults.params)}));
        return true;
    } catch {
        return false;
    }
}

/** Whether settings new chats start with were saved here (not the app's own). */
export function hasChatDefaults(storage: () => Storage = () => localStorage): boolean {
    try {
        return storage().getItem(CHAT_DEFAULTS_STORAGE) !== null;
    } catch {
        return false;
    }
}
