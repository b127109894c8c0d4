/**
 * The application menu as a pure template (no Electron at run time: the type import is erased), so it
 * is tested in plain Node. main/electron/index.ts builds it with `Menu.buildFromTemplate`.
 */
import type {MenuItemConstructorOptions} from "electron";

export const appDisplayName = "KVShare";
/** Where Help → Documentation points (placeholder until the project's docs site exists). */
export const docsUrl = "https://github.com/kvshare/kvshare-desktop#readme";

export interface MenuActions {
    /** Starts a new chat in the window (sent to the renderer as a menu command). */
    newChat(): void;
    /** Opens a web page in the user's browser (shell.openExternal). */
    openExternal(url: string): void;
}

export interface MenuOptions {
    /** A packaged app has no developer tools entry. */
    packaged: boolean;
}

/**
 * App (macOS) / File, Edit, View, Window and Help. Standard entries use Electron roles so their
 * accelerators and platform behaviour are the native ones.
 */
export function appMenuTemplate(platform: NodeJS.Platform, actions: MenuActions, options: MenuOptions = {packaged: true}): MenuItemConstructorOptions[] {
    const mac = platform === "darwin";
    const newChat: MenuItemConstructorOptions = {id: "new-chat", label: "New Chat", accelerator: "CmdOrCtrl+N", click: () => actions.newChat()};
    const template: MenuItemConstructorOptions[] = [];
    if (mac)
        template.push({
            label: appDisplayName,
            submenu: [
                {role: "about"},
                {type: "separator"},
                {role: "services"},
                {type: "separator"},
                {role: "hide"},
                {role: "hideOthers"},
                {role: "unhide"},
                {type: "separator"},
                {role: "quit"}
            ]
        });
    template.push({
        label: "File",
        submenu: mac ? [newChat, {type: "separator"}, {role: "close"}] : [newChat, {type: "separator"}, {role: "quit"}]
    });
    template.push({
        label: "Edit",
        submenu: [
            {role: "undo"},
            {role: "redo"},
            {type: "separator"},
            {role: "cut"},
            {role: "copy"},
            {role: "paste"},
            ...(mac ? [{role: "pasteAndMatchStyle"} as const] : []),
            {role: "delete"},
            {type: "separator"},
            {role: "selectAll"}
        ]
    });
    template.push({
        label: "View",
        submenu: [
            {role: "reload"},
            {role: "forceReload"},
            ...(options.packaged ? [] : [{role: "toggleDevTools"} as const]),
            {type: "separator"},
            {role: "resetZoom"},
            {role: "zoomIn"},
            {role: "zoomOut"},
            {type: "separator"},
            {role: "togglefullscreen"}
        ]
    });
    template.push({
        role: "window",
        submenu: mac ? [{role: "minimize"}, {role: "zoom"}, {type: "separator"}, {role: "front"}] : [{role: "minimize"}, {role: "close"}]
    });
    template.push({
        role: "help",
        submenu: [{id: "docs", label: `${appDisplayName} Documentation`, click: () => actions.openExternal(docsUrl)}]
    });
    return template;
}
