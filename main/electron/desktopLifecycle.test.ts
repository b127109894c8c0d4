/**
 * The desktop app's start and quit, against a fake `electron`: where its data lives, what it says about a
 * model file it cannot serve, where its window opens, and how it quits while an answer is being generated.
 */
import fs from "node:fs";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import type {ChatStreamEvent} from "../../shared/backend.js";
import type {ModelStatus} from "../../shared/admin.js";
import {lockFileName} from "../config/dataDirLock.js";
import {testModelPath} from "../../test/support/testServer.js";
import {bootDesktop, trustedEvent} from "./__tests__/fakeElectron.js";

type Booted = Awaited<ReturnType<typeof bootDesktop>>;

/** Quits a booted app once its model is settled, so no test leaves a model loaded or a folder locked. */
async function quitAndWait(app: Booted): Promise<void> {
    await vi.waitFor(() => expect(app.handler("kvshare:health")(trustedEvent())).not.toMatchObject({status: "loading"}), {timeout: 20_000});
    app.requestQuit();
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalled(), {timeout: 20_000});
}

let booted: Booted | undefined;
async function boot(options: Parameters<typeof bootDesktop>[0]): Promise<Booted> {
    booted = await bootDesktop(options);
    booted.ready();
    await vi.waitFor(() => expect(booted!.loadURL).toHaveBeenCalledWith("app://kvshare/index.html"), {timeout: 20_000});
    return booted;
}

beforeEach(() => {
    vi.resetModules();
});
afterEach(async () => {
    if (booted != null && booted.exit.mock.calls.length === 0) await quitAndWait(booted);
    booted = undefined;
    vi.unstubAllEnvs();
});

describe("the desktop app's data folder", () => {
    it("is the CLI's (KVSHARE_DATA_DIR here), not Electron's userData, and is locked against a `kvshare serve`", async () => {
        const app = await boot({model: ""});
        expect(fs.existsSync(path.join(app.dataDir, lockFileName))).toBe(true);
        expect(fs.existsSync(path.join(app.dataDir, "api-key"))).toBe(true);
        expect(fs.readdirSync(app.userData)).toEqual([]);
    });
});

describe("a model file that cannot be served", () => {
    it("is named with the CLI's reason, not llama.cpp's bare failure", async () => {
        const vocabOnly = path.resolve(path.dirname(testModelPath), "vocab-only/ggml-vocab-llama-spm.gguf");
        const app = await boot({model: vocabOnly});
        await vi.waitFor(() => expect(app.handler("kvshare:health")(trustedEvent())).toMatchObject({status: "error"}), {timeout: 20_000});
        const status = (await app.handler("kvshare:admin")(trustedEvent(), "modelStatus", {})) as ModelStatus;
        expect(status.error).toMatch(/ggml-vocab-llama-spm\.gguf cannot be served: it holds no weights/);
    });
});

describe("the window's place", () => {
    const optionsOf = (app: Booted) => app.calls.BrowserWindow![0]![0] as {x?: number; y?: number; width: number; height: number};

    it("is kept where it shows on a connected display", async () => {
        const app = await boot({model: "", savedWindow: {x: 100, y: 80, width: 1000, height: 700}});
        expect(optionsOf(app)).toMatchObject({x: 100, y: 80, width: 1000, height: 700});
    });

    it("is dropped (the window is centred at its saved size) where no display shows it", async () => {
        const app = await boot({model: "", savedWindow: {x: 2500, y: 100, width: 1000, height: 700}, workAreas: [{x: 0, y: 0, width: 1920, height: 1040}]});
        expect(optionsOf(app)).toMatchObject({x: undefined, y: undefined, width: 1000, height: 700});
    });

    it("is saved from the normal bounds (a window minimised on Windows reports -32000, -32000)", async () => {
        const app = await boot({model: ""});
        for (const listener of app.windowListeners.close ?? []) listener();
        expect(JSON.parse(fs.readFileSync(path.join(app.dataDir, "window-state.json"), "utf8"))).toEqual(app.normalBounds);
    });
});

describe("quitting while an answer is being generated", () => {
    it("holds the quit until the answer finishes and the core is closed, then exits once", async () => {
        const app = await boot({model: testModelPath});
        await vi.waitFor(() => expect(app.handler("kvshare:health")(trustedEvent())).toMatchObject({status: "ok"}), {timeout: 20_000});
        const events: ChatStreamEvent[] = [];
        const window = trustedEvent((_channel, payload) => void events.push(payload as ChatStreamEvent));
        await app.handler("kvshare:chat:start")(window, "quit-1", {
            messages: [{role: "user", content: "Once upon a time"}],
            params: {max_tokens: 400, temperature: 0}
        });
        await vi.waitFor(() => expect(events.some((event) => event.type === "delta")).toBe(true), {timeout: 10_000});

        expect(app.requestQuit()).toBe(true);
        expect(events.some((event) => event.type === "done")).toBe(false);
        // Quit chosen again while shutting down: held as well, and no second shutdown starts.
        expect(app.requestQuit()).toBe(true);
        expect(app.exit).not.toHaveBeenCalled();
        expect(app.hide).toHaveBeenCalledOnce();
        expect(() => app.handler("kvshare:chat:start")(window, "quit-2", {messages: [{role: "user", content: "Hi"}]})).toThrow(/shutting down/);

        await vi.waitFor(() => expect(app.exit).toHaveBeenCalled(), {timeout: 20_000});
        expect(app.exit.mock.calls).toEqual([[0]]);
        // The answer ran to its end (max_tokens), not cut at the quit.
        const done = events.find((event) => event.type === "done");
        expect(done?.type === "done" && [done.result.finishReason, done.result.usage?.completion_tokens]).toEqual(["length", 400]);
        expect(app.removeHandler).toHaveBeenCalledTimes(5);
        // The core closed and let go of the data folder: a `kvshare serve` may take it now.
        expect(fs.existsSync(path.join(app.dataDir, lockFileName))).toBe(false);
        expect(JSON.parse(fs.readFileSync(path.join(app.dataDir, "window-state.json"), "utf8"))).toEqual(app.normalBounds);
    });
});
