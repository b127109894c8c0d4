import type {AdminInput, AdminOp, AdminOutput, SignedIn} from "../../../shared/admin.js";
import {ApiError} from "../backend/errors.js";
import {APP_USER} from "../backend/whoami.js";
import {FakeAdmin} from "./fakeAdmin.js";
import type {Backend, ChatStreamRequest, ChatStreamResult} from "../../../shared/backend.js";
import type {ChatCompletionChunk, HealthResponse, ModelObject, Timings, Usage} from "../../../shared/openai.js";

/** A streamed Response whose body the test feeds piece by piece; aborting the signal errors it like fetch does. */
export function pushableResponse(signal?: AbortSignal | null, init: ResponseInit = {status: 200, headers: {"content-type": "text/event-stream"}}) {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
        start(c) {
            controller = c;
        }
    });
    signal?.addEventListener("abort", () => {
        try {
            controller.error(new DOMException("The operation was aborted.", "AbortError"));
        } catch {
            // already closed
        }
    });
    return {
        response: new Response(body, init),
        push: (text: string) => controller.enqueue(encoder.encode(text)),
        close: () => controller.close(),
        /** Breaks the body as a lost connection does (Chromium: TypeError "network error"). */
        fail: (error: unknown) => controller.error(error)
    };
}

/** A Response with an SSE body split into the given pieces. */
export function sseResponse(pieces: string[], status = 200): Response {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
        start(c) {
            for (const piece of pieces) c.enqueue(encoder.encode(piece));
            c.close();
        }
    });
    return new Response(body, {status, headers: {"content-type": "text/event-stream"}});
}

export function jsonResponse(body: unknown, status = 200): Response {
    return new Response(JSON.stringify(body), {status, headers: {"content-type": "application/json"}});
}

export const usage: Usage = {prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: {cached_tokens: 4}};
export const timings: Timings = {
    cache_n: 4,
    prompt_n: 8,
    prompt_ms: 2,
    prompt_per_second: 4000,
    predicted_n: 3,
    predicted_ms: 6,
    predicted_per_second: 500,
    ttft_ms: 3.5,
    queue_ms: 0
};

export function chunk(content: string | null, finish: "stop" | "length" | null = null): ChatCompletionChunk {
    return {
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1,
        model: "stories260K",
        system_fingerprint: "fp",
        choices: [{index: 0, delta: content === null ? {} : {content}, finish_reason: finish, logprobs: null}]
    };
}

export function usageChunk(): ChatCompletionChunk {
    return {
        ...chunk(null),
        choices: [],
        usage,
        timings,
        x_kvshare: {mode: "prefix", prompt_tokens: 12, reused_tokens: 4, computed_tokens: 8, recomputed_tokens: 0}
    };
}

export function sse(event: unknown): string {
    return `data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`;
}

export const health: HealthResponse = {status: "ok", model: "stories260K", slots_idle: 4, slots_busy: 0, queued: 0};
export const models: ModelObject[] = [{id: "stories260K", object: "model", created: 1, owned_by: "kvshare"}];

/** A Backend whose answers the test drives: each streamChat call waits for `release` or abort. */
export class FakeBackend implements Backend {
    readonly kind = "http" as const;
    requests: ChatStreamRequest[] = [];
    readonly adminFake = new FakeAdmin();
    /** Who the key signs in as (GET /kvshare/whoami): the app's own key unless a test makes it a member's ({@link asMember}). */
    signedIn: SignedIn = {...APP_USER, keyRequired: true};
    healthImpl: () => Promise<HealthResponse> = async () => health;
    modelsImpl: () => Promise<ModelObject[]> = async () => models;
    private pending: Array<{onDelta: (t: string) => void; finish: (r: ChatStreamResult | Error) => void; text: string}> = [];

    health(): Promise<HealthResponse> {
        return this.healthImpl();
    }

    listModels(): Promise<ModelObject[]> {
        return this.modelsImpl();
    }

    async whoami(): Promise<SignedIn> {
        return structuredClone(this.signedIn);
    }

    /**
     * Makes the key an issued one (a student's), as the real server answers it: whoami names its holder, and every
     * app route is refused with the server's 403 (still recorded in `adminFake.calls`, so a test sees none was asked).
     */
    asMember(name = "student-ana", group: string | null = "class-4b"): this {
        this.signedIn = {app: false, name, group, keyRequired: true};
        this.admin = (async (op, input) => {
            this.adminFake.calls.push({op, input: structuredClone(input)});
            throw new ApiError("This key may use the OpenAI API only; the app's own key is needed for /kvshare routes.", 403, "permission_error", "admin_only");
        }) as typeof this.admin;
        return this;
    }

    /**
     * Answers of `op` are read now but held back until the returned function is called (a reply that
     * arrives after the page moved on).
     */
    holdAnswers(op: AdminOp): () => void {
        const admin = this.admin.bind(this);
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        this.admin = (async (asked, input) => {
            const output = await admin(asked, input);
            if (asked === op) await held;
            return output;
        }) as typeof this.admin;
        return release;
    }

    admin<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>> {
        return this.adminFake.run(op, input);
    }

    streamChat(request: ChatStreamRequest, onDelta: (text: string) => void, signal: AbortSignal): Promise<ChatStreamResult> {
        this.requests.push(request);
        return new Promise((resolve, reject) => {
            const entry = {
                onDelta,
                text: "",
                finish: (r: ChatStreamResult | Error) => (r instanceof Error ? reject(r) : resolve(r))
            };
            this.pending.push(entry);
            signal.addEventListener("abort", () => {
                this.pending = this.pending.filter((p) => p !== entry);
                resolve({content: entry.text, finishReason: "aborted"});
            });
        });
    }

    /** Sends text to an open stream: the oldest, or the `stream`-th oldest. */
    delta(text: string, stream = 0): void {
        const entry = this.pending[stream];
        if (!entry) throw new Error("no open stream");
        entry.text += text;
        entry.onDelta(text);
    }

    /** Ends an open stream (the oldest, or the `stream`-th oldest) with its text so far. */
    complete(result: Partial<ChatStreamResult> = {}, stream = 0): void {
        const [entry] = this.pending.splice(stream, 1);
        if (!entry) throw new Error("no open stream");
        entry.finish({content: entry.text, finishReason: "stop", usage, timings, ...result});
    }

    fail(error: Error): void {
        const entry = this.pending.shift();
        if (!entry) throw new Error("no open stream");
        entry.finish(error);
    }

    get open(): number {
        return this.pending.length;
    }
}
