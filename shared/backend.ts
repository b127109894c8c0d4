import type {AdminInput, AdminOp, AdminOutput} from "./admin.js";
import type {ChatMessage, ChatParams, HealthResponse, KvShareRecord, ModelObject, Timings, Usage, FinishReason} from "./openai.js";

export type {ChatParams};

export interface ChatStreamRequest {
    messages: ChatMessage[];
    params?: ChatParams;
    /** Who is asking (a desktop profile); the server uses it for sharing scopes. */
    user?: string;
    /**
     * "drop_oldest": when the conversation does not fit the model's context, its oldest messages are left out
     * (system messages and the last question kept) and the hit record says how many (`dropped_messages`).
     */
    contextOverflow?: "drop_oldest";
}

/** The outcome of one streamed answer. */
export interface ChatStreamResult {
    content: string;
    finishReason: FinishReason | "aborted";
    usage?: Usage;
    timings?: Timings;
    kvshare?: KvShareRecord;
}

/**
 * What the renderer needs from the app's core. Two implementations: the preload bridge (Electron)
 * and HTTP (the page served by `serve`). Same UI on both.
 */
export interface Backend {
    readonly kind: "electron" | "http";
    health(): Promise<HealthResponse>;
    listModels(): Promise<ModelObject[]>;
    /** Streams an answer; `onDelta` gets text as it is generated; abort with `signal`. */
    streamChat(request: ChatStreamRequest, onDelta: (text: string) => void, signal: AbortSignal): Promise<ChatStreamResult>;
    /** One app/admin operation (settings, cache stats, conversations, profiles; see shared/admin.ts). */
    admin<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>>;
    /** How many tokens the loaded model reads `text` as (any key may ask); absent where the backend cannot count. */
    countTokens?(text: string, signal?: AbortSignal): Promise<number>;
}

/**
 * What the Electron preload exposes as `window.kvshare`. Only structured-cloneable values cross the
 * context bridge (no AbortSignal), so streaming is split into start / abort / events; the renderer's
 * bridge backend turns this into a {@link Backend}.
 */
export interface KvshareBridge {
    health(): Promise<HealthResponse>;
    listModels(): Promise<ModelObject[]>;
    startChat(streamId: string, request: ChatStreamRequest): Promise<void>;
    abortChat(streamId: string): Promise<void>;
    /** Subscribes to stream events; returns the unsubscribe function. */
    onChatEvent(listener: (event: ChatStreamEvent) => void): () => void;
    /** One app/admin operation; the main process allowlists `op` and validates `input`. */
    admin<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>>;
    /** Subscribes to application menu commands (e.g. File → New Chat); returns the unsubscribe function. */
    onMenuCommand?(listener: (command: MenuCommand) => void): () => void;
}

/** What the application menu asks the renderer to do. */
export const menuCommands = ["new-chat"] as const;
export type MenuCommand = (typeof menuCommands)[number];

export function isMenuCommand(value: unknown): value is MenuCommand {
    return typeof value === "string" && (menuCommands as readonly string[]).includes(value);
}

/** IPC channel names used by the preload bridge; the only ones the main process answers. */
export const ipcChannels = {
    health: "kvshare:health",
    listModels: "kvshare:listModels",
    chatStart: "kvshare:chat:start",
    chatAbort: "kvshare:chat:abort",
    chatEvent: "kvshare:chat:event",
    /** Every app/admin operation (shared/admin.ts), as `(op, input)`. */
    admin: "kvshare:admin",
    /** Application menu commands pushed from main to the renderer (a {@link MenuCommand}). */
    menuCommand: "kvshare:menu"
} as const;

/** Events pushed from main to the renderer for one streamed chat. */
export type ChatStreamEvent =
    | {streamId: string; type: "delta"; text: string}
    | {streamId: string; type: "done"; result: ChatStreamResult}
    | {streamId: string; type: "error"; message: string};
