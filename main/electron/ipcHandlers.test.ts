import {EventEmitter} from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {ipcChannels, type ChatStreamEvent} from "../../shared/backend.js";
import {silentLogger} from "../common/log.js";
import {createCore, loadCoreModel} from "../app/startServer.js";
import type {AppCore} from "../app/AppCore.js";
import {testModelPath} from "../../test/support/testServer.js";
import type {AdminSettings, ModelList, Profile} from "../../shared/admin.js";
import {isTrustedSender, registerIpcHandlers, type IpcEventLike, type IpcMainLike} from "./ipcHandlers.js";

/** A stand-in for Electron's ipcMain: the Electron boundary is the one place tests fake. */
function fakeIpcMain() {
    const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
    const ipc: IpcMainLike = {
        handle: (channel, listener) => void handlers.set(channel, listener),
        removeHandler: (channel) => void handlers.delete(channel)
    };
    return {ipc, handlers, invoke: async (channel: string, event: IpcEventLike, ...args: unknown[]) => handlers.get(channel)!(event, ...args)};
}

function fakeEvent(url: string, parent: unknown = null) {
    const sent: ChatStreamEvent[] = [];
    const event: IpcEventLike = {
        senderFrame: {url, parent},
        sender: {id: 1, send: (_channel, payload) => void sent.push(payload as ChatStreamEvent), isDestroyed: () => false}
    };
    return {event, sent};
}

let core: AppCore;
beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-ipc-"));
    ({core} = createCore({modelPath: testModelPath, dataDir, log: silentLogger, overrides: {threads: 1}}));
    await loadCoreModel(core, testModelPath);
});
afterAll(async () => {
    await core.dispose();
});

describe("IPC sender validation", () => {
    it("trusts only the app's own top-level page", () => {
        expect(isTrustedSender(fakeEvent("app://kvshare/index.html").event)).toBe(true);
        expect(isTrustedSender(fakeEvent("app://kvshare/index.html", {}).event)).toBe(false);
        expect(isTrustedSender(fakeEvent("https://evil.example/").event)).toBe(false);
        expect(isTrustedSender(fakeEvent("app://kvshare.evil.example/").event)).toBe(false);
        expect(isTrustedSender(fakeEvent("file:///etc/passwd").event)).toBe(false);
        expect(isTrustedSender({senderFrame: null, sender: fakeEvent("x").event.sender})).toBe(false);
    });

    it("refuses calls from an untrusted sender", async () => {
        const {handlers, invoke, ipc} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        expect(handlers.size).toBe(5);
        await expect(invoke(ipcChannels.health, fakeEvent("https://evil.example/").event)).rejects.toThrow(/untrusted sender/);
        await expect(
            invoke(ipcChannels.chatStart, fakeEvent("https://evil.example/").event, "s1", {messages: [{role: "user", content: "hi"}]})
        ).rejects.toThrow(/untrusted/);
        unregister();
        expect(handlers.size).toBe(0);
    });
});

describe("IPC chat", () => {
    it("streams an answer from the real model to the sender", async () => {
        const {invoke, ipc} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        const {event, sent} = fakeEvent("app://kvshare/index.html");
        await invoke(ipcChannels.chatStart, event, "s-1", {messages: [{role: "user", content: "Once upon a time"}], params: {max_tokens: 12, temperature: 0}});
        await expect.poll(() => sent.some((e) => e.type === "done"), {timeout: 10_000}).toBe(true);
        const deltas = sent
            .filter((e) => e.type === "delta")
            .map((e) => (e as {text: string}).text)
            .join("");
        const done = sent.find((e) => e.type === "done") as Extract<ChatStreamEvent, {type: "done"}>;
        expect(done.result.content).toBe(deltas);
        expect(done.result.content.length).toBeGreaterThan(0);
        expect(done.result.usage?.completion_tokens).toBeGreaterThan(0);
        unregister();
    });

    it("leaves out a long chat's oldest messages when the window asks (contextOverflow), and says so", async () => {
        const {invoke, ipc} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        const {event, sent} = fakeEvent("app://kvshare/index.html");
        const turn = "Lily and Tom went to the park with their dog and played with a red ball until the sun went down.";
        const messages = [
            ...Array.from({length: 40}, () => [
                {role: "user", content: turn},
                {role: "assistant", content: turn}
            ]).flat(),
            {role: "user", content: "And then?"}
        ];
        await invoke(ipcChannels.chatStart, event, "s-long", {messages, params: {max_tokens: 8}, contextOverflow: "drop_oldest"});
        await expect.poll(() => sent.some((e) => e.type === "done" || e.type === "error"), {timeout: 20_000}).toBe(true);
        const done = sent.find((e) => e.type === "done") as Extract<ChatStreamEvent, {type: "done"}> | undefined;
        expect(done?.result.kvshare?.dropped_messages).toBeGreaterThan(0);
        unregister();
    });

    it("validates requests with the API's rules and stops on abort", async () => {
        const {invoke, ipc} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        const {event, sent} = fakeEvent("app://kvshare/index.html");
        await expect(invoke(ipcChannels.chatStart, event, "bad", {messages: []})).rejects.toThrow(/at least one message/);
        await expect(invoke(ipcChannels.chatStart, event, "../../x", {messages: [{role: "user", content: "hi"}]})).rejects.toThrow(/bad stream id/);
        await invoke(ipcChannels.chatStart, event, "s-2", {messages: [{role: "user", content: "Once upon a time"}], params: {max_tokens: 1500}});
        await expect.poll(() => sent.some((e) => e.type === "delta"), {timeout: 10_000}).toBe(true);
        await invoke(ipcChannels.chatAbort, event, "s-2");
        await expect.poll(() => sent.some((e) => e.type === "done"), {timeout: 10_000}).toBe(true);
        const done = sent.find((e) => e.type === "done") as Extract<ChatStreamEvent, {type: "done"}>;
        expect(done.result.finishReason).toBe("aborted");
        expect(done.result.usage!.completion_tokens).toBeLessThan(1500);
        unregister();
    });
});

describe("IPC chats over a window's lifetime", () => {
    /** A window whose `destroyed` listeners can be counted and fired (a real EventEmitter, as WebContents is). */
    function windowSender() {
        const sent: ChatStreamEvent[] = [];
        const sender = Object.assign(new EventEmitter(), {
            id: 7,
            send: (_channel: string, payload: unknown) => void sent.push(payload as ChatStreamEvent),
            isDestroyed: () => false
        });
        const event: IpcEventLike = {senderFrame: {url: "app://kvshare/index.html", parent: null}, sender};
        const doneOf = (streamId: string) =>
            sent.find((e) => e.streamId === streamId && e.type === "done") as Extract<ChatStreamEvent, {type: "done"}> | undefined;
        return {sender, event, sent, doneOf};
    }
    const ask = (maxTokens: number) => ({messages: [{role: "user", content: "Once upon a time"}], params: {max_tokens: maxTokens, temperature: 0}});

    it("leaves no listener on the window once its chats have ended, and still stops a chat when the window goes", async () => {
        const {invoke, ipc} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        const {sender, event, sent, doneOf} = windowSender();
        for (let i = 0; i < 12; i++) {
            await invoke(ipcChannels.chatStart, event, `many-${i}`, ask(2));
            await expect.poll(() => doneOf(`many-${i}`) != null, {timeout: 10_000}).toBe(true);
        }
        await expect.poll(() => sender.listenerCount("destroyed")).toBe(0);

        await invoke(ipcChannels.chatStart, event, "gone", ask(1500));
        await expect.poll(() => sent.some((e) => e.streamId === "gone" && e.type === "delta"), {timeout: 10_000}).toBe(true);
        expect(sender.listenerCount("destroyed")).toBe(1);
        sender.emit("destroyed");
        await expect.poll(() => doneOf("gone")?.result.finishReason, {timeout: 10_000}).toBe("aborted");
        await expect.poll(() => sender.listenerCount("destroyed")).toBe(0);
        await unregister();
    });

    it("on shutdown refuses new chats, lets running ones finish within the grace, then removes the handlers", async () => {
        const {invoke, ipc, handlers} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        const {event, sent, doneOf} = windowSender();
        await invoke(ipcChannels.chatStart, event, "finishing", ask(200));
        await expect.poll(() => sent.some((e) => e.streamId === "finishing" && e.type === "delta"), {timeout: 10_000}).toBe(true);
        const closed = unregister(20_000);
        await expect(invoke(ipcChannels.chatStart, event, "late", ask(5))).rejects.toThrow(/shutting down/);
        // The window may still save the answer meanwhile.
        expect(handlers.has(ipcChannels.admin)).toBe(true);
        await closed;
        expect(doneOf("finishing")?.result).toMatchObject({finishReason: "length", usage: {completion_tokens: 200}});
        expect(handlers.size).toBe(0);
    });

    it("on shutdown stops the chats still running when the grace runs out", async () => {
        const {invoke, ipc, handlers} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        const {event, sent, doneOf} = windowSender();
        await invoke(ipcChannels.chatStart, event, "long", ask(1500));
        await expect.poll(() => sent.some((e) => e.streamId === "long" && e.type === "delta"), {timeout: 10_000}).toBe(true);
        await unregister(100);
        expect(handlers.size).toBe(0);
        await expect.poll(() => doneOf("long")?.result.finishReason, {timeout: 10_000}).toBe("aborted");
    });
});

describe("IPC admin channel", () => {
    it("refuses untrusted senders and sub-frames, and operations not on the allowlist", async () => {
        const {invoke, ipc} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        for (const url of ["https://evil.example/", "file:///etc/passwd", "app://kvshare.evil.example/"])
            await expect(invoke(ipcChannels.admin, fakeEvent(url).event, "getSettings", {})).rejects.toThrow(/untrusted sender/);
        await expect(invoke(ipcChannels.admin, fakeEvent("app://kvshare/index.html", {}).event, "clearCache", {})).rejects.toThrow(/untrusted sender/);
        const trusted = fakeEvent("app://kvshare/index.html").event;
        await expect(invoke(ipcChannels.admin, trusted, "constructor", {})).rejects.toThrow(/unknown admin operation/);
        await expect(invoke(ipcChannels.admin, trusted, "__proto__", {})).rejects.toThrow(/unknown admin operation/);
        await expect(invoke(ipcChannels.admin, trusted, 42, {})).rejects.toThrow(/unknown admin operation/);
        unregister();
    });

    it("runs the same validated services as the HTTP routes", async () => {
        const {invoke, ipc} = fakeIpcMain();
        const unregister = registerIpcHandlers(ipc, core);
        const trusted = fakeEvent("app://kvshare/index.html").event;
        const settings = (await invoke(ipcChannels.admin, trusted, "patchSettings", {sharing: {minRunLength: 6}})) as AdminSettings;
        expect(settings.sharing.minRunLength).toBe(6);
        expect(core.settings.sharing.minRunLength).toBe(6);
        await expect(invoke(ipcChannels.admin, trusted, "patchSettings", {sharing: {similarityThreshold: -0.1}})).rejects.toThrow(
            /similarityThreshold must be between 0 and 1/
        );
        await expect(invoke(ipcChannels.admin, trusted, "saveProfile", {name: ""})).rejects.toThrow(/'name' must be a non-empty string/);
        const profiles = (await invoke(ipcChannels.admin, trusted, "saveProfile", {name: "Nurse"})) as Profile[];
        expect(profiles).toEqual([{name: "Nurse"}]);
        // The model picker's operations, the asynchronous one included.
        const list = (await invoke(ipcChannels.admin, trusted, "listModels", {})) as ModelList;
        expect(list.models).toEqual([expect.objectContaining({id: "stories260K", source: "loaded", current: true, architecture: "llama"})]);
        await expect(invoke(ipcChannels.admin, trusted, "loadModel", {path: "relative.gguf"})).rejects.toThrow(/must be one of the listed models/);
        unregister();
    });
});
