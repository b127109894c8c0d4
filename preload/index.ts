/**
 * The preload: exposes one typed, validated API as `window.kvshare` and nothing else (checklist
 * item 20: no raw ipcRenderer for the page). Bundled to a single CommonJS file because sandboxed
 * preloads cannot be ES modules or require project files.
 */
import {contextBridge, ipcRenderer, type IpcRendererEvent} from "electron";
import {isAdminOp} from "../shared/admin.js";
import {ipcChannels, isMenuCommand, type ChatStreamEvent, type ChatStreamRequest, type KvshareBridge, type MenuCommand} from "../shared/backend.js";

const bridge: KvshareBridge = {
    health: () => ipcRenderer.invoke(ipcChannels.health),
    listModels: () => ipcRenderer.invoke(ipcChannels.listModels),
    startChat: (streamId: string, request: ChatStreamRequest) => {
        if (typeof streamId !== "string") return Promise.reject(new TypeError("streamId must be a string"));
        return ipcRenderer.invoke(ipcChannels.chatStart, streamId, request);
    },
    abortChat: (streamId: string) => ipcRenderer.invoke(ipcChannels.chatAbort, String(streamId)),
    onChatEvent: (listener: (event: ChatStreamEvent) => void) => {
        if (typeof listener !== "function") throw new TypeError("listener must be a function");
        const wrapped = (_event: IpcRendererEvent, payload: ChatStreamEvent) => listener(payload);
        ipcRenderer.on(ipcChannels.chatEvent, wrapped);
        return () => void ipcRenderer.removeListener(ipcChannels.chatEvent, wrapped);
    },
    admin: (op, input) => {
        if (!isAdminOp(op)) return Promise.reject(new TypeError(`unknown admin operation: ${String(op)}`));
        return ipcRenderer.invoke(ipcChannels.admin, op, input);
    },
    onMenuCommand: (listener: (command: MenuCommand) => void) => {
        if (typeof listener !== "function") throw new TypeError("listener must be a function");
        // Only allowlisted commands reach the page.
        const wrapped = (_event: IpcRendererEvent, command: unknown) => {
            if (isMenuCommand(command)) listener(command);
        };
        ipcRenderer.on(ipcChannels.menuCommand, wrapped);
        return () => void ipcRenderer.removeListener(ipcChannels.menuCommand, wrapped);
    }
};

contextBridge.exposeInMainWorld("kvshare", bridge);
