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

/** Registers every IPC handler; each refuses untrusted senders and validates its arguments. */
export function registerIpcHandlers(ipcMain: IpcMainLike, core: ServerHost & {admin: AdminDeps}): () => void {
    const streams = new Map<string, AbortController>();
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
            if (typeof streamId !== "string" || !/^[\w-]{1,64}$/.test(streamId) || streams.has(streamId)) throw new Error("IPC refused: bad stream id");
            const pipeline = core.requirePipeline();
            const params = parseChatRequest(toRequestBody(request), core.settings.limits.maxTokensCap, pipeline.runtime.prompts.vocabularySize);
            const abort = new AbortController();
            streams.set(streamId, abort);
            // A closed window must not leave its generation running (no orphaned work).
            event.sender.once?.("destroyed", () => abort.abort(new ClientGoneError()));
            const send = (payload: ChatStreamEvent) => {
                if (!event.sender.isDestroyed()) event.sender.send(ipcChannels.chatEvent, payload);
            };
            void pipeline
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
                .finally(() => streams.delete(streamId));
        })
    );

    ipcMain.handle(
        ipcChannels.chatAbort,
        guard((_event, streamId: unknown) => {
            if (typeof streamId === "string") streams.get(streamId)?.abort(new Error("stopped by the user"));
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

    return () => {
        for (const channel of [ipcChannels.health, ipcChannels.listModels, ipcChannels.chatStart, ipcChannels.chatAbort, ipcChannels.admin])
            ipcMain.removeHandler(channel);
        for (const abort of streams.values()) abort.abort();
    };
}

/** Maps the bridge's request onto the API's request body so one validator serves both. */
function toRequestBody(request: unknown): Record<string, unknown> {
    if (typeof request !== "object" || request == null) throw new Error("IPC refused: the chat request must be an object");
    const {messages, params, user} = request as ChatStreamRequest;
    return {messages, user, ...(typeof params === "object" && params != null ? params : {})};
}
