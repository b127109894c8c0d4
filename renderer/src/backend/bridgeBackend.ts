import type {AdminInput, AdminOp, AdminOutput} from "../../../shared/admin.js";
import type {Backend, ChatStreamEvent, ChatStreamRequest, ChatStreamResult, KvshareBridge} from "../../../shared/backend.js";
import type {HealthResponse, ModelObject} from "../../../shared/openai.js";
import {newId} from "../lib/ids.js";

/** How long a stopped stream waits for the main process's final stats before giving up on them. */
const ABORT_GRACE_MS = 1000;

/** Electron prefixes errors from ipcRenderer.invoke with "Error invoking remote method '…': Error: ". */
function cleanIpcError(error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    return new Error(message.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, ""));
}

/**
 * The `Backend` over the preload bridge (`window.kvshare`). Only cloneable values cross the context
 * bridge, so a stream is started with an id, stopped with `abortChat`, and its text arrives as events.
 */
export class BridgeBackend implements Backend {
    readonly kind = "electron" as const;

    constructor(private readonly bridge: KvshareBridge) {}

    health(): Promise<HealthResponse> {
        return this.bridge.health().catch((e: unknown) => Promise.reject(cleanIpcError(e)));
    }

    listModels(): Promise<ModelObject[]> {
        return this.bridge.listModels().catch((e: unknown) => Promise.reject(cleanIpcError(e)));
    }

    admin<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>> {
        return this.bridge.admin(op, input).catch((e: unknown) => Promise.reject(cleanIpcError(e)));
    }

    streamChat(request: ChatStreamRequest, onDelta: (text: string) => void, signal: AbortSignal): Promise<ChatStreamResult> {
        const streamId = newId().replace(/[^\w-]/g, "");
        let content = "";
        return new Promise<ChatStreamResult>((resolve, reject) => {
            let settled = false;
            let graceTimer: ReturnType<typeof setTimeout> | undefined;
            const finish = (outcome: ChatStreamResult | Error): void => {
                if (settled) return;
                settled = true;
                clearTimeout(graceTimer);
                unsubscribe();
                signal.removeEventListener("abort", onAbort);
                if (outcome instanceof Error) reject(outcome);
                else resolve(outcome);
            };
            const unsubscribe = this.bridge.onChatEvent((event: ChatStreamEvent) => {
                if (event.streamId !== streamId) return;
                if (event.type === "delta") {
                    if (signal.aborted) return;
                    content += event.text;
                    onDelta(event.text);
                } else if (event.type === "done") {
                    finish(signal.aborted ? {...event.result, content, finishReason: "aborted"} : event.result);
                } else {
                    finish(signal.aborted ? {content, finishReason: "aborted"} : new Error(event.message));
                }
            });
            const onAbort = (): void => {
                void this.bridge.abortChat(streamId).catch(() => undefined);
                graceTimer = setTimeout(() => finish({content, finishReason: "aborted"}), ABORT_GRACE_MS);
            };
            if (signal.aborted) return finish({content, finishReason: "aborted"});
            signal.addEventListener("abort", onAbort, {once: true});
            this.bridge.startChat(streamId, request).catch((e: unknown) => finish(signal.aborted ? {content, finishReason: "aborted"} : cleanIpcError(e)));
        });
    }
}
