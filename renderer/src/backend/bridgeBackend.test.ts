import {describe, expect, it, vi} from "vitest";
import {FakeBridge} from "../testing/fakeBridge.js";
import {timings, usage} from "../testing/fakes.js";
import {BridgeBackend} from "./bridgeBackend.js";

async function started(bridge: FakeBridge): Promise<string> {
    await vi.waitFor(() => expect(bridge.started).toHaveLength(1));
    return bridge.lastStreamId;
}

describe("BridgeBackend", () => {
    it("streams deltas of its own stream and resolves with the main process's result", async () => {
        const bridge = new FakeBridge();
        const backend = new BridgeBackend(bridge);
        const deltas: string[] = [];
        const pending = backend.streamChat(
            {messages: [{role: "user", content: "hi"}], params: {max_tokens: 8}},
            (t) => deltas.push(t),
            new AbortController().signal
        );
        const id = await started(bridge);
        expect(id).toMatch(/^[\w-]{1,64}$/);
        expect(bridge.started[0]!.request).toEqual({messages: [{role: "user", content: "hi"}], params: {max_tokens: 8}});
        bridge.emit({streamId: "someone-else", type: "delta", text: "nope"});
        bridge.emit({streamId: id, type: "delta", text: "Once"});
        bridge.emit({streamId: id, type: "delta", text: " upon"});
        bridge.emit({streamId: id, type: "done", result: {content: "Once upon", finishReason: "stop", usage, timings}});
        await expect(pending).resolves.toEqual({content: "Once upon", finishReason: "stop", usage, timings});
        expect(deltas).toEqual(["Once", " upon"]);
        expect(bridge.listenerCount).toBe(0);
    });

    it("passes the chat's context overflow choice to the main process", async () => {
        const bridge = new FakeBridge();
        void new BridgeBackend(bridge).streamChat({messages: [], contextOverflow: "drop_oldest"}, () => {}, new AbortController().signal);
        await started(bridge);
        expect(bridge.started[0]!.request.contextOverflow).toBe("drop_oldest");
    });

    it("rejects with the error event's message", async () => {
        const bridge = new FakeBridge();
        const pending = new BridgeBackend(bridge).streamChat({messages: []}, () => {}, new AbortController().signal);
        const id = await started(bridge);
        bridge.emit({streamId: id, type: "error", message: "context full"});
        await expect(pending).rejects.toThrow("context full");
    });

    it("strips Electron's IPC prefix from start errors", async () => {
        const bridge = new FakeBridge();
        bridge.startError = new Error("Error invoking remote method 'kvshare:chat:start': Error: messages must not be empty");
        await expect(new BridgeBackend(bridge).streamChat({messages: []}, () => {}, new AbortController().signal)).rejects.toThrow(
            /^messages must not be empty$/
        );
    });

    it("on stop asks main to abort and keeps the final stats when they come", async () => {
        const bridge = new FakeBridge();
        const abort = new AbortController();
        const pending = new BridgeBackend(bridge).streamChat({messages: []}, () => {}, abort.signal);
        const id = await started(bridge);
        bridge.emit({streamId: id, type: "delta", text: "Once"});
        abort.abort();
        expect(bridge.aborted).toEqual([id]);
        bridge.emit({streamId: id, type: "delta", text: " late"});
        bridge.emit({streamId: id, type: "done", result: {content: "Once late", finishReason: "stop", usage}});
        await expect(pending).resolves.toEqual({content: "Once", finishReason: "aborted", usage});
    });

    it("on stop resolves by itself when main sends nothing more", async () => {
        vi.useFakeTimers();
        try {
            const bridge = new FakeBridge();
            const abort = new AbortController();
            const pending = new BridgeBackend(bridge).streamChat({messages: []}, () => {}, abort.signal);
            await vi.waitFor(() => expect(bridge.started).toHaveLength(1));
            bridge.emit({streamId: bridge.lastStreamId, type: "delta", text: "Once"});
            abort.abort();
            await vi.advanceTimersByTimeAsync(1000);
            await expect(pending).resolves.toEqual({content: "Once", finishReason: "aborted"});
        } finally {
            vi.useRealTimers();
        }
    });

    it("passes health and the model list through", async () => {
        const backend = new BridgeBackend(new FakeBridge());
        expect(backend.kind).toBe("electron");
        expect((await backend.health()).status).toBe("ok");
        expect((await backend.listModels())[0]!.id).toBe("stories260K");
    });
});
