import type {AdminDeps} from "../admin/ports.js";
import type {ServerHost} from "../server/context.js";
import {isAppUrl} from "./appUrl.js";
import {ClientGoneError} from "../runtime/abortReasons.js";
import {runAdminOp} from "../admin/operations.js";
import {isAdminOp} from "../../shared/admin.js";
import {toTimings, toUsage} from "../server/openaiShape.js";
import {toApiError} from "../server/errors.js";
import {parseChatRequest} from "../server/validate.js";
import {ipcChannels, type ChatStreamEvent, type ChatStreamRequest, type ChatStreamResult} from "../../shared/backend.js";
import type {HealthResponse, ModelObject} from "../../shared/openai.js";

/** The parts of Electron's IPC event the handlers look at (kept structural so tests need no Electron). */
export interface IpcEventLike {
    senderFrame: {url: string; parent: unknown} | null;
    sender: {
        id: number;
        send(channel: string, payload: unknown): void;
        isDestroyed(): boolean;
        /** Electron's WebContents event: the window closed or reloaded away. */
        once?(event: "destroyed", listener: () => void): unknown;
        removeListener?(event: "destroyed", listener: () => void): unknown;
    };
}

export interface IpcMainLike {
    handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
    removeHandler(channel: string): void;
}

/**
 * Only the app's own top-level page may call the core. The URL is parsed, not
 * prefix-matched, and sub-frames are refused.
 */
export function isTrustedSender(event: IpcEventLike): boolean {
    const frame = event.senderFrame;
    if (frame == null || frame.parent != null) return false;
    return isAppUrl(frame.url);
}

/** A chat streaming to a window: how to stop it, and when it has ended (never rejects). */
interface RunningChat {
    abort: AbortController;
    ended: Promise<void>;
}

/**
 * Stops the handlers. New chats are refused at once; those running get up to `graceMs` to finish (their
 * answers complete, and the window may still save them over the admin channel), then the rest are stopped
 * and every handler is removed. With no grace this all happens before it returns.
 */
export type UnregisterIpcHandlers = (graceMs?: number) => Promise<void>;

/** Registers every IPC handler; each refuses untrusted senders and validates its arguments. */
export function registerIpcHandlers(ipcMain: IpcMainLike, core: ServerHost & {admin: AdminDeps}): UnregisterIpcHandlers {
    const streams = new Map<string, RunningChat>();
    let closing = false;
    const guard =
        <A extends unknown[], R>(fn: (event: IpcEventLike, ...args: A) => R) =>
        (event: IpcEventLike, ...args: unknown[]) => {
            if (!isTrustedSender(event)) throw new Error("IPC refused: untrusted sender");
            return fn(event, ...(args as A));
        };

    ipcMain.handle(
        ipcChannels.health,
        guard((): HealthResponse => core.health())
    );

    ipcMain.handle(
        ipcChannels.listModels,
        guard((): ModelObject[] => core.modelObjects())
    );

    ipcMain.handle(
        ipcChannels.chatStart,
        guard((event, streamId: unknown, request: unknown) => {
            if (closing) throw new Error("IPC refused: the app is shutting down");
            if (typeof streamId !== "string" || !/^[\w-]{1,64}$/.test(streamId) || streams.has(streamId)) throw new Error("IPC refused: bad stream id");
            const pipeline = core.requirePipeline();
            const params = parseChatRequest(toRequestBody(request), core.settings.limits.maxTokensCap, pipeline.runtime.prompts.vocabularySize);
            const abort = new AbortController();
            // A closed window must not leave its generation running (no orphaned work). The listener goes
            // with the chat: a window lives through many chats, and each would otherwise leave one behind.
            const onSenderGone = () => abort.abort(new ClientGoneError());
            event.sender.once?.("destroyed", onSenderGone);
            const send = (payload: ChatStreamEvent) => {
                if (!event.sender.isDestroyed()) event.sender.send(ipcChannels.chatEvent, payload);
            };
            const ended = pipeline
                .chat(params.messages, params, {
                    signal: abort.signal,
                    arrivedAt: performance.now(),
                    user: params.user,
                    detail: true,
                    revealDonor: true,
                    ...((request as ChatStreamRequest | null)?.contextOverflow === "drop_oldest" ? {contextOverflow: "drop_oldest" as const} : {}),
                    onText: (text) => send({streamId, type: "delta", text})
                })
                .then(
                    (result) => {
                        const outcome: ChatStreamResult = {
                            content: result.text,
                            finishReason: result.finishReason,
                            usage: toUsage(result),
                            timings: toTimings(result),
                            kvshare: result.kvshare
                        };
                        send({streamId, type: "done", result: outcome});
                    },
                    (error: unknown) => send({streamId, type: "error", message: toApiError(error).message})
                )
                .finally(() => {
                    streams.delete(streamId);
                    event.sender.removeListener?.("destroyed", onSenderGone);
                });
            streams.set(streamId, {abort, ended});
        })
    );

    ipcMain.handle(
        ipcChannels.chatAbort,
        guard((_event, streamId: unknown) => {
            if (typeof streamId === "string") streams.get(streamId)?.abort.abort(new Error("stopped by the user"));
        })
    );

    // App/admin operations: one channel, an allowlisted operation name, input validated by the same
    // service functions the HTTP routes call. Errors cross as their API message (e.g. a 400's text).
    ipcMain.handle(
        ipcChannels.admin,
        guard(async (_event, op: unknown, input: unknown) => {
            if (!isAdminOp(op)) throw new Error("IPC refused: unknown admin operation");
            try {
                return await runAdminOp(core.admin, op, input);
            } catch (error) {
                throw new Error(toApiError(error).message, {cause: error});
            }
        })
    );

    return async (graceMs = 0) => {
        closing = true;
        if (graceMs > 0 && streams.size > 0)
            await settledWithin(
                [...streams.values()].map((chat) => chat.ended),
                graceMs
            );
        for (const chat of streams.values()) chat.abort.abort(new Error("the app is shutting down"));
        for (const channel of [ipcChannels.health, ipcChannels.listModels, ipcChannels.chatStart, ipcChannels.chatAbort, ipcChannels.admin])
            ipcMain.removeHandler(channel);
    };
}

/** Resolves once every promise has settled, or after `ms`, whichever comes first. */
async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
}

/** Maps the bridge's request onto the API's request body so one validator serves both. */
function toRequestBody(request: unknown): Record<string, unknown> {
    if (typeof request !== "object" || request == null) throw new Error("IPC refused: the chat request must be an object");
    const {messages, params, user} = request as ChatStreamRequest;
    return {messages, user, ...(typeof params === "object" && params != null ? params : {})};
}
