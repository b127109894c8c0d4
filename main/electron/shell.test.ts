import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import type {MenuItemConstructorOptions} from "electron";
import {bootDesktop, trustedEvent} from "./__tests__/fakeElectron.js";
import {appMenuTemplate, docsUrl} from "./menu.js";
import {applyNavigationGuards, isWebUrl} from "./navigationGuards.js";
import {askBeforeUnload} from "./unloadPrompt.js";
import {mainWindowOptions} from "./windowOptions.js";

describe("window options (Electron security checklist)", () => {
    it("isolates and sandboxes the renderer", () => {
        const prefs = mainWindowOptions("/x/preload.cjs").webPreferences!;
        expect(prefs).toMatchObject({
            contextIsolation: true,
            sandbox: true,
            nodeIntegration: false,
            webSecurity: true,
            allowRunningInsecureContent: false,
            experimentalFeatures: false,
            webviewTag: false,
            preload: "/x/preload.cjs"
        });
        expect(prefs).not.toHaveProperty("enableBlinkFeatures");
    });
});

/** Every item of a template, depth first. */
function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
    return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

function click(item: MenuItemConstructorOptions | undefined): void {
    (item?.click as (() => void) | undefined)?.();
}

describe("application menu template", () => {
    const actions = () => ({newChat: vi.fn(), openExternal: vi.fn()});

    it("has File (New Chat, Quit), Edit, View, Window and Help on Linux and Windows", () => {
        for (const platform of ["linux", "win32"] as const) {
            const template = appMenuTemplate(platform, actions(), {packaged: true});
            expect(template.map((m) => m.label ?? m.role)).toEqual(["File", "Edit", "View", "window", "help"]);
            const file = template[0]!.submenu as MenuItemConstructorOptions[];
            expect(file.map((i) => i.label ?? i.role ?? i.type)).toEqual(["New Chat", "separator", "quit"]);
            expect(file[0]!.accelerator).toBe("CmdOrCtrl+N");
            const roles = flatten(template)
                .map((i) => i.role)
                .filter(Boolean);
            expect(roles).toEqual(
                expect.arrayContaining([
                    "undo",
                    "redo",
                    "cut",
                    "copy",
                    "paste",
                    "selectAll",
                    "reload",
                    "resetZoom",
                    "zoomIn",
                    "zoomOut",
                    "togglefullscreen",
                    "minimize"
                ])
            );
            // A packaged app offers no developer tools.
            expect(roles).not.toContain("toggleDevTools");
        }
    });

    it("adds the macOS app menu and shows devtools when not packaged", () => {
        const template = appMenuTemplate("darwin", actions(), {packaged: false});
        expect(template.map((m) => m.label ?? m.role)).toEqual(["KVShare", "File", "Edit", "View", "window", "help"]);
        expect((template[0]!.submenu as MenuItemConstructorOptions[]).map((i) => i.role).filter(Boolean)).toEqual([
            "about",
            "services",
            "hide",
            "hideOthers",
            "unhide",
            "quit"
        ]);
        expect(flatten(template).map((i) => i.role)).toContain("toggleDevTools");
        expect(flatten(appMenuTemplate("darwin", actions())).map((i) => i.role)).not.toContain("toggleDevTools");
    });

    it("runs New Chat and opens the docs in the browser", () => {
        const fake = actions();
        const items = flatten(appMenuTemplate("linux", fake, {packaged: true}));
        click(items.find((i) => i.id === "new-chat"));
        expect(fake.newChat).toHaveBeenCalledTimes(1);
        click(items.find((i) => i.id === "docs"));
        expect(fake.openExternal).toHaveBeenCalledWith(docsUrl);
        expect(docsUrl).toMatch(/^https:\/\//);
    });
});

describe("navigation guards", () => {
    function fakeContents() {
        const listeners = new Map<string, (event: {preventDefault(): void}, url: string) => void>();
        let openHandler: ((details: {url: string}) => {action: "deny"}) | undefined;
        return {
            contents: {
                on: (name: "will-navigate" | "will-redirect" | "will-attach-webview", listener: (event: {preventDefault(): void}, url: string) => void) =>
                    listeners.set(name, listener),
                setWindowOpenHandler: (handler: (details: {url: string}) => {action: "deny"}) => void (openHandler = handler)
            },
            navigate(url: string, how: "will-navigate" | "will-redirect" = "will-navigate") {
                const event = {preventDefault: vi.fn()};
                listeners.get(how)!(event, url);
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
        // A redirect is held to the same rule.
        expect(fake.navigate("https://evil.example/", "will-redirect")).toBe(true);
        expect(fake.navigate("app://kvshare/index.html", "will-redirect")).toBe(false);
        expect(fake.open("https://example.org/docs")).toEqual({action: "deny"});
        expect(openExternal).toHaveBeenCalledWith("https://example.org/docs");
        expect(fake.open("file:///bin/sh")).toEqual({action: "deny"});
        expect(fake.open("javascript:alert(1)")).toEqual({action: "deny"});
        expect(openExternal).toHaveBeenCalledTimes(1);
        expect(isWebUrl("smb://host/share")).toBe(false);
    });
});

describe("Electron entry (mocked electron module)", () => {
    beforeEach(() => {
        vi.resetModules();
    });
    afterEach(() => {
        vi.unstubAllEnvs();
    });

    it("registers the app protocol, denies permissions, and loads the renderer from app://", async () => {
        const {calls, loadURL, send, openExternal, ready} = await bootDesktop({model: (await import("../../test/support/testServer.js")).testModelPath});
        expect(calls.registerSchemesAsPrivileged?.[0]).toEqual([[{scheme: "app", privileges: {standard: true, secure: true, supportFetchAPI: true}}]]);
        ready();
        await vi.waitFor(() => expect(loadURL).toHaveBeenCalledWith("app://kvshare/index.html"), {timeout: 20_000});
        const permissionHandler = (calls.setPermissionRequestHandler![0] as [(c: unknown, p: string, cb: (ok: boolean) => void) => void])[0];
        const decision = vi.fn();
        permissionHandler({}, "media", decision);
        expect(decision).toHaveBeenCalledWith(false);
        // A permission checked (not requested) is not granted either, but the app's own Copy; nor any device.
        const checkHandler = (calls.setPermissionCheckHandler![0] as [(...args: unknown[]) => boolean])[0];
        expect(checkHandler({}, "clipboard-sanitized-write", "app://kvshare", {})).toBe(true);
        expect(checkHandler({}, "clipboard-sanitized-write", "https://evil.example", {})).toBe(false);
        expect(checkHandler({}, "clipboard-read", "app://kvshare", {})).toBe(false);
        expect(checkHandler({}, "media", "app://kvshare", {})).toBe(false);
        const deviceHandler = (calls.setDevicePermissionHandler![0] as [(...args: unknown[]) => boolean])[0];
        expect(deviceHandler({deviceType: "usb", origin: "app://kvshare"})).toBe(false);
        expect((calls["ipcMain.handle"] ?? []).map((c) => c[0])).toEqual(expect.arrayContaining(["kvshare:health", "kvshare:chat:start"]));
        const options = calls.BrowserWindow![0]![0] as {webPreferences: {sandbox: boolean}};
        expect(options.webPreferences.sandbox).toBe(true);

        // The application menu: New Chat reaches the renderer as an allowlisted event; Help opens the docs.
        const menu = calls["Menu.setApplicationMenu"]?.[0]?.[0] as {template: MenuItemConstructorOptions[]};
        const items = flatten(menu.template);
        expect(items.map((i) => i.role)).toContain("toggleDevTools");
        click(items.find((i) => i.id === "new-chat"));
        expect(send).toHaveBeenCalledWith("kvshare:menu", "new-chat");
        click(items.find((i) => i.id === "docs"));
        expect(openExternal).toHaveBeenCalledWith(docsUrl);
    });

    it("opens the window on a first run without any model, reporting why in health", async () => {
        const {loadURL, ready, handler} = await bootDesktop({model: ""});
        ready();
        await vi.waitFor(() => expect(loadURL).toHaveBeenCalledWith("app://kvshare/index.html"), {timeout: 20_000});
        expect(handler("kvshare:health")(trustedEvent())).toMatchObject({status: "error", model: null});
    });
});

describe("leaving a page with unsaved changes", () => {
    it("asks, and overrides the page's objection only when the user chooses to leave", () => {
        let listener: ((event: {preventDefault(): void}) => void) | undefined;
        let answer = false;
        askBeforeUnload({on: (_name, l) => (listener = l)}, () => answer);
        const stay = {preventDefault: vi.fn()};
        listener!(stay);
        expect(stay.preventDefault).not.toHaveBeenCalled();
        answer = true;
        const leave = {preventDefault: vi.fn()};
        listener!(leave);
        expect(leave.preventDefault).toHaveBeenCalledOnce();
    });
});
