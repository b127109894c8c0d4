import type {KvshareBridge, MenuCommand} from "../../shared/backend.js";
import {startNewChat} from "./stores/newChat.js";

/** Does what an application menu entry asks (Electron only; the browser has no app menu). */
export function handleMenuCommand(command: MenuCommand): void {
    switch (command) {
        case "new-chat":
            startNewChat();
            break;
    }
}

/** Listens to the preload's menu commands when there is a bridge; returns the unsubscribe function. */
export function subscribeMenuCommands(bridge: KvshareBridge | undefined = typeof window === "undefined" ? undefined : window.kvshare): () => void {
    return bridge?.onMenuCommand?.(handleMenuCommand) ?? (() => undefined);
}
