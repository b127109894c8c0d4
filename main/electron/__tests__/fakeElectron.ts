import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {vi} from "vitest";
import type {MenuItemConstructorOptions} from "electron";
import type {IpcEventLike} from "../ipcHandlers.js";
import type {WindowBounds} from "../windowState.js";

export interface BootOptions {
    /** KVSHARE_MODEL: a model file, or "" for none (a first run). */
    model: string;
    /** Work areas of the connected displays (default: one 1920×1040 display). */
    workAreas?: {x: number; y: number; width: number; height: number}[];
    /** A window-state.json to find in the data folder. */
    savedWindow?: unknown;
}

type Listener = (...args: unknown[]) => void;

/** The app's own page, as IPC handlers see it. */
export function trustedEvent(send: (channel: string, payload: unknown) => void = () => undefined): IpcEventLike {
    return {senderFrame: {url: "app://kvshare/index.html", parent: null}, sender: {id: 1, send, isDestroyed: () => false}};
}

/**
 * Boots main/electron/index.ts against a fake `electron` (the one boundary tests fake), with a fresh data
 * folder in KVSHARE_DATA_DIR and a separate folder as Electron's userData. Call `vi.resetModules()` first
 * and `vi.unstubAllEnvs()` after.
 */
export async function bootDesktop({model, workAreas = [{x: 0, y: 0, width: 1920, height: 1040}], savedWindow}: BootOptions) {
    const calls: Record<string, unknown[][]> = {};
    const record =
        (name: string) =>
        (...args: unknown[]) =>
            void (calls[name] ??= []).push(args);
    const appListeners: Record<string, Listener[]> = {};
    const windowListeners: Record<string, Listener[]> = {};
    const loadURL = vi.fn(async () => {});
    const send = vi.fn();
    const openExternal = vi.fn(async () => {});
    const exit = vi.fn();
    const hide = vi.fn();
    const removeHandler = vi.fn();
    /** Where the window is when asked: minimised on Windows, while its normal bounds are elsewhere. */
    const normalBounds: WindowBounds = {x: 40, y: 30, width: 1100, height: 750};
    class FakeWindow {
        public webContents = {on: vi.fn(), setWindowOpenHandler: vi.fn(), send, isDestroyed: () => false};
        public constructor(options: unknown) {
            record("BrowserWindow")(options);
        }
        public loadURL = loadURL;
        public once = vi.fn();
        public on = (name: string, listener: Listener) => void (windowListeners[name] ??= []).push(listener);
        public hide = hide;
        public isDestroyed = () => false;
        public getBounds = () => ({x: -32000, y: -32000, width: 160, height: 28});
        public getNormalBounds = () => ({...normalBounds});
    }
    let ready: () => void = () => {};
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-electron-data-"));
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-electron-userdata-"));
    fs.writeFileSync(path.join(dataDir, "settings.json"), JSON.stringify({threads: 1, api: {port: 0}}));
    if (savedWindow !== undefined) fs.writeFileSync(path.join(dataDir, "window-state.json"), JSON.stringify(savedWindow));
    vi.doMock("electron", () => ({
        app: {
            isPackaged: false,
            requestSingleInstanceLock: () => true,
            on: (name: string, listener: Listener) => void (appListeners[name] ??= []).push(listener),
            quit: vi.fn(),
            exit,
            getPath: () => userData,
            whenReady: () =>
                new Promise<void>((resolve) => {
                    ready = resolve;
                })
        },
        BrowserWindow: FakeWindow,
        ipcMain: {handle: record("ipcMain.handle"), removeHandler},
        protocol: {registerSchemesAsPrivileged: record("registerSchemesAsPrivileged"), handle: record("protocol.handle")},
        screen: {getAllDisplays: () => workAreas.map((workArea) => ({workArea}))},
        session: {
            defaultSession: {
                setPermissionRequestHandler: record("setPermissionRequestHandler"),
                setPermissionCheckHandler: record("setPermissionCheckHandler"),
                setDevicePermissionHandler: record("setDevicePermissionHandler")
            }
        },
        shell: {openExternal},
        Menu: {buildFromTemplate: (template: MenuItemConstructorOptions[]) => ({template}), setApplicationMenu: record("Menu.setApplicationMenu")}
    }));
    vi.stubEnv("KVSHARE_MODEL", model);
    vi.stubEnv("KVSHARE_DATA_DIR", dataDir);
    await import("../index.js");

    /** The IPC handler registered on a channel (the latest registration). */
    const handler = (channel: string) => {
        const found = (calls["ipcMain.handle"] ?? []).findLast((call) => call[0] === channel);
        if (found == null) throw new Error(`no IPC handler on ${channel}`);
        return found[1] as (event: IpcEventLike, ...args: unknown[]) => unknown;
    };
    /** Asks the app to quit, as Cmd+Q or the last window closing does; returns whether the quit was held. */
    const requestQuit = (): boolean => {
        const event = {preventDefault: vi.fn()};
        for (const listener of appListeners["before-quit"] ?? []) listener(event);
        return event.preventDefault.mock.calls.length > 0;
    };
    return {
        calls,
        dataDir,
        userData,
        normalBounds,
        loadURL,
        send,
        openExternal,
        exit,
        hide,
        removeHandler,
        windowListeners,
        handler,
        requestQuit,
        ready: () => ready()
    };
}
