/**
 * The Electron shell: the only module that imports `electron` at run time. It wires the core
 * (model, API server, IPC) to a window; everything it calls runs and is tested in plain Node.
 */
import path from "node:path";
import {fileURLToPath} from "node:url";
import {app, BrowserWindow, dialog, ipcMain, Menu, protocol, screen, session, shell} from "electron";
import {ipcChannels, type MenuCommand} from "../../shared/backend.js";
import {createApiServer, createCore, defaultRendererDir, listen, loadCoreModel, servableModel, shutdownGraceMs} from "../app/startServer.js";
import {resolveDataDir} from "../config/dataDir.js";
import {readRendererFile, rendererHeaders} from "../server/rendererFiles.js";
import {appIndexUrl, appScheme, isAppUrl} from "./appUrl.js";
import {registerIpcHandlers} from "./ipcHandlers.js";
import {appMenuTemplate} from "./menu.js";
import {applyNavigationGuards} from "./navigationGuards.js";
import {adoptLegacyDataDir} from "./legacyDataDir.js";
import {quitAfterShutdown} from "./quitAfterShutdown.js";
import {askBeforeUnload} from "./unloadPrompt.js";
import {mainWindowOptions} from "./windowOptions.js";
import {loadWindowState, placeOnDisplays, saveWindowState} from "./windowState.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.resolve(here, "../../preload/index.cjs");
const rendererDir = defaultRendererDir();
/** Share of shared-KV requests the idle quality monitor replays in the desktop app unless the admin sets one. */
const desktopMonitorShare = 0.25;

// Electron security checklist: the renderer comes from a privileged custom protocol, not file://.
protocol.registerSchemesAsPrivileged([{scheme: appScheme, privileges: {standard: true, secure: true, supportFetchAPI: true}}]);

if (!app.requestSingleInstanceLock()) {
    app.quit();
} else {
    let window: BrowserWindow | undefined;
    app.on("second-instance", () => {
        if (window == null) return;
        if (window.isMinimized()) window.restore();
        window.focus();
    });
    app.on("window-all-closed", () => app.quit());
    let disposeCore: (() => Promise<void>) | undefined;
    quitAfterShutdown(
        app,
        async () => disposeCore?.(),
        (error) => console.error(`shutting down: ${(error as Error).message}`),
        // The answers' grace, then as long again for the model, the database and the cache to close.
        2 * shutdownGraceMs
    );

    void app.whenReady().then(async () => {
        // Electron security checklist: no permission (camera, notifications, ...) is ever granted to web content.
        session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
        // Nor reported as granted when a page only checks (which skips the request), nor any device (USB, HID, serial);
        // but the app's own page may write to the clipboard (Copy), which Chromium asks of this check.
        session.defaultSession.setPermissionCheckHandler((_contents, permission, origin) => permission === "clipboard-sanitized-write" && isAppUrl(origin));
        session.defaultSession.setDevicePermissionHandler(() => false);
        protocol.handle(appScheme, (request) => {
            const file = readRendererFile(rendererDir, new URL(request.url).pathname);
            if (file == null) return new Response("not found", {status: 404});
            return new Response(new Uint8Array(file.data), {headers: rendererHeaders(file)});
        });

        // With no model yet (first run) the window still opens; the model picker loads one.
        let created: ReturnType<typeof createCore>;
        try {
            // The data folder as the CLI resolves it, not Electron's userData (which holds Chromium's profile):
            // keys from `kvshare key create`, models and the cache are shared, and the folder's lock keeps a
            // `kvshare serve` and the app from serving one folder at once.
            const dataDir = resolveDataDir();
            // An earlier version kept its data in userData: brought over once, so no chat, key or model goes missing.
            if (process.env.KVSHARE_DATA_DIR == null) {
                const moved = adoptLegacyDataDir(app.getPath("userData"), dataDir);
                if (moved.length > 0) console.info(`[kvshare] moved ${moved.join(", ")} from ${app.getPath("userData")} to the data folder ${dataDir}`);
            }
            created = createCore({dataDir, rendererDir});
        } catch (error) {
            // A `kvshare serve` on the same folder (the lock), or a data folder file it cannot use: said, not hung.
            dialog.showErrorBox("KVShare cannot start", (error as Error).message);
            app.quit();
            return;
        }
        const {core, modelPath, otherModels, lock} = created;
        // The desktop app checks what sharing costs by default (idle replays); the headless API does not.
        core.monitorDefaultShare = desktopMonitorShare;
        // The window talks over IPC, not through the API server: the settings panel may turn it off and on.
        core.apiServer = createApiServer(core, false);
        const unregisterIpc = registerIpcHandlers(ipcMain, core);
        // The normal bounds, not the current ones: a window closed while minimised on Windows is at -32000, -32000.
        const rememberWindow = (): void => {
            if (window == null || window.isDestroyed()) return;
            try {
                saveWindowState(core.dataDir, window.getNormalBounds());
            } catch (error) {
                core.log.warn(`could not save the window's position: ${(error as Error).message}`);
            }
        };
        disposeCore = async () => {
            rememberWindow();
            // The window goes at once; new chats and API requests are refused while those running finish.
            if (window != null && !window.isDestroyed()) window.hide();
            try {
                await Promise.all([unregisterIpc(shutdownGraceMs), core.apiServer?.drain(shutdownGraceMs)]);
                await core.dispose();
            } finally {
                lock.release();
            }
        };

        const sendMenuCommand = (command: MenuCommand): void => {
            if (window != null && !window.webContents.isDestroyed()) window.webContents.send(ipcChannels.menuCommand, command);
        };
        Menu.setApplicationMenu(
            Menu.buildFromTemplate(
                appMenuTemplate(
                    process.platform,
                    {
                        newChat: () => sendMenuCommand("new-chat"),
                        openExternal: (url) => void shell.openExternal(url).catch(() => undefined)
                    },
                    {packaged: app.isPackaged}
                )
            )
        );

        const workAreas = screen.getAllDisplays().map((display) => display.workArea);
        window = new BrowserWindow(mainWindowOptions(preloadPath, placeOnDisplays(loadWindowState(core.dataDir), workAreas)));
        applyNavigationGuards(window.webContents, (url) => shell.openExternal(url).catch(() => undefined));
        askBeforeUnload(
            window.webContents,
            () =>
                window == null ||
                dialog.showMessageBoxSync(window, {
                    type: "question",
                    buttons: ["Leave", "Stay"],
                    defaultId: 1,
                    cancelId: 1,
                    title: "Unsaved changes",
                    message: "The settings have changes that are not saved.",
                    detail: "Leave anyway and lose them?"
                }) === 0
        );
        window.once("ready-to-show", () => window?.show());
        window.on("close", rememberWindow);
        await window.loadURL(appIndexUrl);

        // The model loads after the window shows; the UI reports "loading" until then. A file that cannot be
        // served is passed over, or named with its reason, as `kvshare serve` does.
        if (modelPath != null) {
            const servable = await servableModel(core, modelPath, otherModels ?? []).catch((error: unknown) => {
                core.markNoModel((error as Error).message);
                core.log.error(`model load failed: ${(error as Error).message}`);
                return undefined;
            });
            if (servable != null)
                await loadCoreModel(core, servable).catch((error: unknown) => core.log.error(`model load failed: ${(error as Error).message}`));
        }
        if (core.settings.api.enabled) {
            // A busy port must not take the desktop app down: chat works over IPC without the API.
            await listen(core, {servesUi: false}).then(
                (server) => core.log.info(`local API on ${server.url}/v1`),
                (error: unknown) =>
                    core.log.error(`the local API could not start on ${core.settings.api.host}:${core.settings.api.port}: ${(error as Error).message}`)
            );
        }
    });
}
