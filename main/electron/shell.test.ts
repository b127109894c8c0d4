import {beforeEach, describe, expect, it, vi} from "vitest";
import {applyNavigationGuards, isWebUrl} from "./navigationGuards.js";
import {mainWindowOptions} from "./windowOptions.js";

describe("window options (Electron security checklist)", () => {
    it("isolates and sandboxes the renderer", () => {
        const prefs = mainWindowOptions("/x/preload.cjs").webPreferences!;
        expect(prefs).toMatchObject({contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true,
            allowRunningInsecureContent: false, experimentalFeatures: false, webviewTag: false, preload: "/x/preload.cjs"});
        expect(prefs).not.toHaveProperty("enableBlinkFeatures");
    });
});

describe("navigation guards", () => {
    function fakeContents() {
        const listeners = new Map<string, (event: {preventDefault(): void}, url: string) => void>();
        let openHandler: ((details: {url: string}) => {action: "deny"}) | undefined;
        return {
            contents: {
                on: (name: "will-navigate" | "will-attach-webview", listener: (event: {preventDefault(): void}, url: string) => void) => listeners.set(name, listener),
                setWindowOpenHandler: (handler: (details: {url: string}) => {action: "deny"}) => void (openHandler = handler)
            },
            navigate(url: string) {
                const event = {preventDefault: vi.fn()};
                listeners.get("will-navigate")!(event, url);
                return event.preventDefault.mock.calls.length > 0;
            },
            open: (url: string) => openHandler!({url})
        };
    }

    it("blocks navigation away from the app and opens only web links externally", () => {
        const fake = fakeContents();
        const openExternal = vi.fn();
        applyNavigationGuards(fake.contents, openExternal);
        expect(fake.navigate("app://kvshare/index.html")).toBe(false);
        expect(fake.navigate("https://evil.example/")).toBe(true);
        expect(fake.navigate("file:///etc/passwd")).toBe(true);
        expect(fake.open("https://example.org/docs")).toEqual({action: "deny"});
        expect(openExternal).toHaveBeenCalledWith("https://example.org/docs");
        expect(fake.open("file:///bin/sh")).toEqual({action: "deny"});
        expect(fake.open("javascript:alert(1)")).toEqual({action: "deny"});
        expect(openExternal).toHaveBeenCalledTimes(1);
        expect(isWebUrl("smb://host/share")).toBe(false);
    });
});

describe("Electron entry (mocked electron module)", () => {
    const calls: Record<string, unknown[][]> = {};
    beforeEach(() => {
        vi.resetModules();
        for (const key of Object.keys(calls)) delete calls[key];
    });

    it("registers the app protocol, denies permissions, and loads the renderer from app://", async () => {
        const record = (name: string) => (...args: unknown[]) => {
            (calls[name] ??= []).push(args);
        };
        const loadURL = vi.fn(async () => {});
        class FakeWindow {
            public webContents = {on: vi.fn(), setWindowOpenHandler: vi.fn()};
            public constructor(options: unknown) {
                record("BrowserWindow")(options);
            }
            public loadURL = loadURL;
            public once = vi.fn();
            public on = vi.fn();
        }
        let ready: () => void = () => {};
        vi.doMock("electron", () => ({
            app: {
                requestSingleInstanceLock: () => true,
                on: vi.fn(),
                quit: vi.fn(),
                getPath: () => "/nonexistent-kvshare-test",
                whenReady: () => new Promise<void>((resolve) => {
                    ready = resolve;
                })
            },
            BrowserWindow: FakeWindow,
            ipcMain: {handle: record("ipcMain.handle"), removeHandler: vi.fn()},
            protocol: {registerSchemesAsPrivileged: record("registerSchemesAsPrivileged"), handle: record("protocol.handle")},
            session: {defaultSession: {setPermissionRequestHandler: record("setPermissionRequestHandler")}},
            shell: {openExternal: vi.fn()}
        }));
        vi.stubEnv("KVSHARE_MODEL", (await import("../../test/support/testServer.js")).testModelPath);
        await import("./index.js");
        expect(calls.registerSchemesAsPrivileged?.[0]).toEqual([[{scheme: "app", privileges: {standard: true, secure: true, supportFetchAPI: true}}]]);
        ready();
        await vi.waitFor(() => expect(loadURL).toHaveBeenCalledWith("app://kvshare/index.html"));
        const permissionHandler = (calls.setPermissionRequestHandler![0] as [(c: unknown, p: string, cb: (ok: boolean) => void) => void])[0];
        const decision = vi.fn();
        permissionHandler({}, "media", decision);
        expect(decision).toHaveBeenCalledWith(false);
        expect((calls["ipcMain.handle"] ?? []).map((c) => c[0])).toEqual(expect.arrayContaining(["kvshare:health", "kvshare:chat:start"]));
        const options = calls.BrowserWindow![0]![0] as {webPreferences: {sandbox: boolean}};
        expect(options.webPreferences.sandbox).toBe(true);
        vi.unstubAllEnvs();
    });
});
