import {adminHttpRoutes, type AdminInput, type AdminOp, type AdminOutput, type SignedIn} from "../../../shared/admin.js";
import type {Backend, ChatStreamRequest, ChatStreamResult} from "../../../shared/backend.js";
import type {
    ChatCompletionChunk,
    ChatCompletionRequest,
    FinishReason,
    HealthResponse,
    KvShareRequestOptions,
    ModelList,
    ModelObject
} from "../../../shared/openai.js";
import {ApiError, apiErrorFrom, apiErrorFromResponse} from "./errors.js";
import {readSseData} from "./sse.js";
import {WHOAMI_PATH} from "./whoami.js";

export interface HttpBackendOptions {
    /** Origin (and optional path prefix) of the API; "" means the page's own origin. */
    baseUrl?: string;
    /** Returns the current bearer key, read on every request so a newly pasted key takes effect. */
    getApiKey: () => string | null;
    fetch?: typeof fetch;
}

/** The `Backend` over the OpenAI-compatible API of the server that serves this page. */
export class HttpBackend implements Backend {
    readonly kind = "http" as const;
    private readonly baseUrl: string;
    private readonly getApiKey: () => string | null;
    private readonly fetchImpl: typeof fetch;

    constructor(options: HttpBackendOptions) {
        this.baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
        this.getApiKey = options.getApiKey;
        const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
        // The browser says only "Failed to fetch" (Firefox: "NetworkError…") when nothing answers: say what that means.
        this.fetchImpl = async (input, init) => {
            try {
                return await fetchImpl(input, init);
            } catch (error) {
                if (error instanceof TypeError && !(init?.signal?.aborted ?? false)) throw unreachable(error);
                throw error;
            }
        };
    }

    async health(): Promise<HealthResponse> {
        return (await this.getJson("/health")) as HealthResponse;
    }

    async listModels(): Promise<ModelObject[]> {
        const list = (await this.getJson("/v1/models")) as ModelList;
        return Array.isArray(list.data) ? list.data : [];
    }

    /** Who the key signs in as: any valid key may ask (the app's own key, or an issued key's name and group). */
    async whoami(): Promise<SignedIn> {
        return (await this.getJson(WHOAMI_PATH)) as SignedIn;
    }

    async streamChat(request: ChatStreamRequest, onDelta: (text: string) => void, signal: AbortSignal): Promise<ChatStreamResult> {
        // x_kvshare_detail: the hit record carries the prompt's and the donor's token texts (the hit strip).
        const body: ChatCompletionRequest & {x_kvshare_detail: boolean; x_kvshare?: KvShareRequestOptions & {context_overflow?: "drop_oldest"}} = {
            messages: request.messages,
            ...request.params,
            stream: true,
            stream_options: {include_usage: true},
            x_kvshare_detail: true
        };
        if (request.user !== undefined) body.user = request.user;
        if (request.contextOverflow !== undefined) body.x_kvshare = {context_overflow: request.contextOverflow};

        const result: ChatStreamResult = {content: "", finishReason: "aborted"};
        let finishReason: FinishReason | null = null;
        let done = false;
        try {
            const response = await this.fetchImpl(this.url("/v1/chat/completions"), {
                method: "POST",
                headers: {...this.headers(), "content-type": "application/json", accept: "text/event-stream"},
                body: JSON.stringify(body),
                signal
            });
            if (!response.ok) throw await apiErrorFromResponse(response);
            if (response.body === null) throw new ApiError("The server sent an empty stream", response.status);

            for await (const data of readSseData(response.body)) {
                if (data === "[DONE]") {
                    done = true;
                    break;
                }
                const event = parseEvent(data);
                if ("error" in event) throw apiErrorFrom(event, response.status, "The stream failed");
                const chunk = event as unknown as Partial<ChatCompletionChunk>;
                for (const choice of chunk.choices ?? []) {
                    const text = choice.delta?.content;
                    if (typeof text === "string" && text !== "") {
                        result.content += text;
                        onDelta(text);
                    }
                    if (choice.finish_reason) finishReason = choice.finish_reason;
                }
                if (chunk.usage) result.usage = chunk.usage;
                if (chunk.timings) result.timings = chunk.timings;
                if (chunk.x_kvshare) result.kvshare = chunk.x_kvshare;
            }
        } catch (error) {
            if (signal.aborted) return result;
            // The connection broke while the answer streamed: the browser says only "network error".
            if (error instanceof TypeError) throw unreachable(error);
            throw error;
        }
        if (signal.aborted && finishReason === null) return result;
        if (finishReason === null && !done) throw new ApiError("The stream ended before the answer was complete", null);
        result.finishReason = finishReason ?? "stop";
        return result;
    }

    async countTokens(text: string, signal?: AbortSignal): Promise<number> {
        const response = await this.fetchImpl(this.url("/tokenize"), {
            method: "POST",
            headers: {...this.headers(), "content-type": "application/json"},
            body: JSON.stringify({content: text}),
            ...(signal === undefined ? {} : {signal})
        });
        if (!response.ok) throw await apiErrorFromResponse(response);
        const {tokens} = (await response.json()) as {tokens?: unknown};
        if (!Array.isArray(tokens)) throw new ApiError("The server did not say how many tokens the text is", response.status);
        return tokens.length;
    }

    async admin<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>> {
        const route = adminHttpRoutes[op];
        const fields = {...(input as Record<string, unknown>)};
        let path = route.path;
        if (route.key !== undefined) {
            path += encodeURIComponent(String(fields[route.key] ?? ""));
            // In the path already: a DELETE's query carries only the other fields (e.g. purge).
            if (route.method === "DELETE") delete fields[route.key];
        }
        const init: RequestInit = {method: route.method, headers: this.headers()};
        if (route.method === "GET" || route.method === "DELETE") {
            const query = new URLSearchParams();
            for (const [name, value] of Object.entries(fields)) if (value !== undefined && value !== null) query.set(name, String(value));
            if (query.size > 0) path += `?${query.toString()}`;
        } else if (route.method === "PUT" || route.method === "PATCH" || (route.method === "POST" && Object.keys(fields).length > 0)) {
            init.headers = {...this.headers(), "content-type": "application/json"};
            init.body = JSON.stringify(fields);
        }
        const response = await this.fetchImpl(this.url(path), init);
        if (!response.ok) throw await apiErrorFromResponse(response);
        return (await response.json()) as AdminOutput<K>;
    }

    private async getJson(path: string): Promise<unknown> {
        const response = await this.fetchImpl(this.url(path), {headers: this.headers()});
        if (!response.ok) throw await apiErrorFromResponse(response);
        return response.json();
    }

    private url(path: string): string {
        return this.baseUrl + path;
    }

    private headers(): Record<string, string> {
        const key = this.getApiKey();
        return key ? {authorization: `Bearer ${key}`} : {};
    }
}

/**
 * What a network failure (no answer, or a connection cut mid-answer) means here, in plain words. The
 * browser's own text ("Failed to fetch", "NetworkError when attempting to fetch resource.") says nothing
 * more to a person and is left out of the message (it stays the error's cause, for debugging).
 */
function unreachable(error: TypeError): ApiError {
    const plain = new ApiError("The KVShare server is not reachable (stopped, or moved to another address)", null, null, "unreachable");
    plain.cause = error;
    return plain;
}

function parseEvent(data: string): Record<string, unknown> {
    try {
        const value: unknown = JSON.parse(data);
        if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
    } catch {
        // fall through
    }
    throw new ApiError(`The server sent an unreadable event: ${data.slice(0, 120)}`, null);
}
