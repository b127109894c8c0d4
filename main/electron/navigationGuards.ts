import {isAppUrl} from "./appUrl.js";

/** The parts of WebContents the guards use (structural, so tests need no Electron). */
export interface GuardedContents {
    on(event: "will-navigate" | "will-redirect" | "will-attach-webview", listener: (event: {preventDefault(): void}, url: string) => void): unknown;
    setWindowOpenHandler(handler: (details: {url: string}) => {action: "deny"}): void;
}

/** Electron security checklist: stay on the app's origin; links to the web open in the system browser, nothing else opens. */
export function applyNavigationGuards(contents: GuardedContents, openExternal: (url: string) => unknown): void {
    // A redirect is a navigation too (the app's own pages never redirect; nothing else may be reached through one).
    for (const navigation of ["will-navigate", "will-redirect"] as const)
        contents.on(navigation, (event, url) => {
            if (!isAppUrl(url)) event.preventDefault();
        });
    contents.on("will-attach-webview", (event) => event.preventDefault());
    contents.setWindowOpenHandler(({url}) => {
        if (isWebUrl(url)) void openExternal(url);
        return {action: "deny"};
    });
}

/** Only plain http(s) links are handed to the OS browser (never file:, javascript:, custom schemes). */
export function isWebUrl(url: string): boolean {
    try {
        const protocol = new URL(url).protocol;
        return protocol === "https:" || protocol === "http:";
    } catch {
        return false;
    }
}
