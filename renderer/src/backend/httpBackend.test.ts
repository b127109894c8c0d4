import {describe, expect, it, vi} from "vitest";
import {ApiError} from "./errors.js";
import {HttpBackend} from "./httpBackend.js";
import {chunk, jsonResponse, pushableResponse, sse, sseResponse, timings, usage, usageChunk} from "../testing/fakes.js";

function backendWith(fetchImpl: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>, key: string | null = "k-123") {
    const fetchMock = vi.fn(fetchImpl);
    return {backend: new HttpBackend({getApiKey: () => key, fetch: fetchMock as unknown as typeof fetch}), fetchMock};
}

describe("HttpBackend", () => {
    it("streams deltas and returns usage, timings and x_kvshare from the final chunk", async () => {
        const {backend, fetchMock} = backendWith(async () =>
            sseResponse([sse(chunk("Once")), sse(chunk(" upon")), sse(chunk(null, "stop")), sse(usageChunk()), sse("[DONE]")])
        );
        const deltas: string[] = [];
        const result = await backend.streamChat(
            {messages: [{role: "user", content: "hi"}], params: {temperature: 0, max_tokens: 5}},
            (t) => deltas.push(t),
            new AbortController().signal
        );
        expect(deltas).toEqual(["Once", " upon"]);
        expect(result).toEqual({
            content: "Once upon",
            finishReason: "stop",
            usage,
            timings,
            kvshare: usageChunk().x_kvshare
        });

        const [url, init] = fetchMock.mock.calls[0]!;
        expect(url).toBe("/v1/chat/completions");
        expect((init?.headers as Record<string, string>).authorization).toBe("Bearer k-123");
        expect(JSON.parse(init?.body as string)).toEqual({
            messages: [{role: "user", content: "hi"}],
            temperature: 0,
            max_tokens: 5,
            stream: true,
            stream_options: {include_usage: true},
            x_kvshare_detail: true
        });
    });

    it("reports finish_reason length", async () => {
        const {backend} = backendWith(async () => sseResponse([sse(chunk("a", "length")), sse("[DONE]")]));
        const result = await backend.streamChat({messages: []}, () => {}, new AbortController().signal);
        expect(result.finishReason).toBe("length");
    });

    it("throws the server's message for a mid-stream error event", async () => {
        const {backend} = backendWith(async () =>
            sseResponse([sse(chunk("partial")), sse({error: {message: "context full", type: "exceed_context_size_error", code: null, param: null}})])
        );
        await expect(backend.streamChat({messages: []}, () => {}, new AbortController().signal)).rejects.toThrow("context full");
    });

    it("throws an ApiError with the server's message for non-2xx answers", async () => {
        const {backend} = backendWith(async () =>
            jsonResponse({error: {message: "messages must not be empty", type: "invalid_request_error", code: "bad", param: null}}, 400)
        );
        const error = await backend.streamChat({messages: []}, () => {}, new AbortController().signal).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ApiError);
        expect((error as ApiError).message).toBe("messages must not be empty");
        expect((error as ApiError).status).toBe(400);
        expect((error as ApiError).code).toBe("bad");
    });

    it("marks 401 so the UI can ask for a key, and sends no header without a key", async () => {
        const {backend, fetchMock} = backendWith(
            async () => jsonResponse({error: {message: "Missing API key", type: "authentication_error", code: null, param: null}}, 401),
            null
        );
        const error = await backend.listModels().catch((e: unknown) => e);
        expect((error as ApiError).status).toBe(401);
        expect((error as ApiError).message).toBe("Missing API key");
        expect(fetchMock.mock.calls[0]![1]?.headers).toEqual({});
    });

    it("falls back to the status line when the error body is not JSON", async () => {
        const {backend} = backendWith(async () => new Response("gateway down", {status: 502, statusText: "Bad Gateway"}));
        await expect(backend.health()).rejects.toThrow("502 Bad Gateway: gateway down");
    });

    it("returns what it had with finishReason aborted when stopped mid-stream", async () => {
        let feed: ReturnType<typeof pushableResponse> | undefined;
        const {backend} = backendWith(async (_input, init) => {
            feed = pushableResponse(init?.signal);
            return feed.response;
        });
        const abort = new AbortController();
        const deltas: string[] = [];
        const pending = backend.streamChat({messages: []}, (t) => deltas.push(t), abort.signal);
        await vi.waitFor(() => expect(feed).toBeDefined());
        feed!.push(sse(chunk("Once")));
        await vi.waitFor(() => expect(deltas).toEqual(["Once"]));
        abort.abort();
        await expect(pending).resolves.toEqual({content: "Once", finishReason: "aborted"});
    });

    it("returns an empty aborted result when stopped before the response arrives", async () => {
        const {backend} = backendWith(
            (_input, init) =>
                new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))))
        );
        const abort = new AbortController();
        const pending = backend.streamChat({messages: []}, () => {}, abort.signal);
        abort.abort();
        await expect(pending).resolves.toEqual({content: "", finishReason: "aborted"});
    });

    it("says the server is not reachable where the browser says only that a fetch failed", async () => {
        const {backend} = backendWith(async () => {
            throw new TypeError("Failed to fetch");
        });
        const error = await backend.health().catch((e: unknown) => e);
        // The browser's "Failed to fetch" says nothing more to a person: it is kept as the cause only.
        expect((error as ApiError).message).toBe("The KVShare server is not reachable (stopped, or moved to another address)");
        expect(((error as ApiError).cause as Error).message).toBe("Failed to fetch");
    });

    it("says the server is not reachable when the connection breaks mid-answer, not just 'network error'", async () => {
        let feed: ReturnType<typeof pushableResponse> | undefined;
        const {backend} = backendWith(async (_input, init) => {
            feed = pushableResponse(init?.signal);
            return feed.response;
        });
        const deltas: string[] = [];
        const pending = backend.streamChat({messages: []}, (t) => deltas.push(t), new AbortController().signal).catch((e: unknown) => e);
        await vi.waitFor(() => expect(feed).toBeDefined());
        feed!.push(sse(chunk("Once")));
        await vi.waitFor(() => expect(deltas).toEqual(["Once"]));
        feed!.fail(new TypeError("network error"));
        const error = await pending;
        expect(error).toBeInstanceOf(ApiError);
        expect((error as ApiError).code).toBe("unreachable");
        expect((error as ApiError).message).toBe("The KVShare server is not reachable (stopped, or moved to another address)");
    });

    it("asks the server to leave out a long chat's oldest messages (x_kvshare.context_overflow)", async () => {
        const {backend, fetchMock} = backendWith(async () => sseResponse([sse(chunk("a", "stop")), sse("[DONE]")]));
        await backend.streamChat({messages: [{role: "user", content: "hi"}], contextOverflow: "drop_oldest"}, () => {}, new AbortController().signal);
        expect(JSON.parse(fetchMock.mock.calls[0]![1]?.body as string)).toMatchObject({x_kvshare: {context_overflow: "drop_oldest"}, x_kvshare_detail: true});
    });

    it("fails when the stream ends without a finish reason or [DONE]", async () => {
        const {backend} = backendWith(async () => sseResponse([sse(chunk("cut"))]));
        await expect(backend.streamChat({messages: []}, () => {}, new AbortController().signal)).rejects.toThrow(/ended before/);
    });

    it("reads health and the model list", async () => {
        const {backend, fetchMock} = backendWith(async (input) =>
            String(input) === "/health"
                ? jsonResponse({status: "ok", model: "m", slots_idle: 4, slots_busy: 0, queued: 0})
                : jsonResponse({object: "list", data: [{id: "m", object: "model", created: 1, owned_by: "me"}]})
        );
        expect((await backend.health()).status).toBe("ok");
        expect((await backend.listModels()).map((m) => m.id)).toEqual(["m"]);
        expect(fetchMock.mock.calls.map((c) => c[0])).toEqual(["/health", "/v1/models"]);
    });

    it("sends a POST's input as a JSON body (issuing a key) and none for an action without input", async () => {
        const {backend, fetchMock} = backendWith(async () => jsonResponse({}));
        await backend.admin("createKey", {name: "reception", group: "ward"});
        await backend.admin("clearCache", {});
        await backend.admin("revokeKey", {id: "ab12"});
        const [create, clear, revoke] = fetchMock.mock.calls;
        expect(create?.[0]).toBe("/kvshare/keys");
        expect(create?.[1]).toMatchObject({
            method: "POST",
            body: JSON.stringify({name: "reception", group: "ward"}),
            headers: {"content-type": "application/json"}
        });
        expect(clear?.[0]).toBe("/kvshare/cache/clear");
        expect(clear?.[1]?.body).toBeUndefined();
        expect(revoke?.[0]).toBe("/kvshare/keys/ab12");
        expect(revoke?.[1]).toMatchObject({method: "DELETE"});
    });
});
