import type {ChatParams, ChatStreamResult} from "../../../shared/backend.js";

/** What is kept about one answer besides its text. */
export interface AnswerStats {
    finishReason: ChatStreamResult["finishReason"];
    promptTokens?: number;
    cachedTokens?: number;
    completionTokens?: number;
    tokensPerSecond?: number;
    /** Server-measured time to first token, or the time the page waited for the first text. */
    ttftMs?: number;
    kvMode?: string;
    /** Wall time of the whole answer as seen by the page. */
    elapsedMs?: number;
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
}

export interface Conversation {
    id: string;
    title: string;
    systemPrompt: string;
    params: ChatParams;
    messages: StoredMessage[];
    createdAt: number;
    updatedAt: number;
}

export const DEFAULT_PARAMS: Readonly<ChatParams> = {temperature: 0.7, max_tokens: 256};
export const DEFAULT_TITLE = "New chat";
