import type {ConversationSettings} from "../../../shared/admin.js";
import {mergeSettings, settingsOf} from "../../../shared/conversationSettings.js";
import type {Conversation} from "./types.js";

/** A version of a chat on the server, as far as its settings go: when it was saved, and its settings as shown here. */
export interface ServerSettings {
    updatedAt: number;
    settings: ConversationSettings;
}

/** What a chat's settings become once the server's version of them is known (see {@link rebasedSettings}). */
export type RebasedSettings = ConversationSettings & Pick<Conversation, "syncedAt" | "syncedSettings">;

/**
 * `mine`'s settings put onto the server's version: those changed here since `base` (the server's settings this
 * copy last saw) stay, the others become the server's (changed in another window meanwhile, or not at all);
 * and the copy grows from that version from now on. The server merges a save the same way, so a setting
 * changed here and not yet saved survives whatever another window did to the others.
 */
export function rebasedSettings(mine: Conversation, server: ServerSettings, base: ConversationSettings): RebasedSettings {
    return {...mergeSettings(server.settings, base, settingsOf(mine)), syncedAt: server.updatedAt, syncedSettings: server.settings};
}
