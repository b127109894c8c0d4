import type {ConversationSettings} from "../../../shared/admin.js";
import type {ChatParams, ChatStreamResult} from "../../../shared/backend.js";
import type {KvShareRecord} from "../../../shared/openai.js";

/** What is kept about one answer besides its text. */
export interface AnswerStats {
    /** How the answer ended; "edited": written by hand, not by the model. */
    finishReason: ChatStreamResult["finishReason"] | "edited";
    promptTokens?: number;
    cachedTokens?: number;
    completionTokens?: number;
    tokensPerSecond?: number;
    /** Server-measured time to first token, or the time the page waited for the first text. */
    ttftMs?: number;
    kvMode?: string;
    /** Wall time of the whole answer as seen by the page. */
    elapsedMs?: number;
    /** Text pieces streamed, when the server's token count is missing (an answer stopped mid-stream). */
    streamedPieces?: number;
}

export interface StoredMessage {
    id: string;
    role: "user" | "assistant";
    content: string;
    createdAt: number;
    /** Only on answers. */
    stats?: AnswerStats;
    /** An answer that failed: the error shown in place of stats. */
    error?: string;
    /** The answer's hit record (x_kvshare with token pieces): drawn as the hit strip. */
    hit?: KvShareRecord;
    /**
     * The other versions of the chat from this message on (an edited question, a regenerated answer): each
     * is a whole continuation, that version's message here and all that followed it. Only on a message
     * shown; the first message of a kept version never has them (they are its siblings, held here).
     */
    alternatives?: StoredMessage[][];
    /** Where the version shown sits among all of them (0..alternatives.length), so their order stays put. */
    alternativeIndex?: number;
}

export interface Conversation {
    id: string;
    title: string;
    /** Who asks in this chat (a profile name, sent as the request's `user`). */
    profile: string;
    systemPrompt: string;
    params: ChatParams;
    messages: StoredMessage[];
    createdAt: number;
    updatedAt: number;
    /** Kept at the top of the list, whatever its age. */
    pinned?: boolean;
    /** Ids of messages deleted from the chat (any version), so that no other copy of it brings them back. */
    deletedMessageIds?: string[];
    /** The server's version this copy grew from (its `updatedAt` when last read from or saved to the server). */
    syncedAt?: number;
    /** That version's settings: those that differ here were changed here, and a save keeps only those as its own. */
    syncedSettings?: ConversationSettings;
}

export const DEFAULT_PARAMS: Readonly<ChatParams> = {temperature: 0.7, max_tokens: 256};
export const DEFAULT_TITLE = "New chat";

/** The profile used before any was chosen. */
export const DEFAULT_PROFILE = "Guest";
