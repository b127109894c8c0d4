import type {BrowserWindowConstructorOptions} from "electron";

/**
 * The main window's options. Electron security checklist: context isolation, the sandbox,
 * no Node integration, web security on, no insecure content, no experimental features.
 */
export function mainWindowOptions(preloadPath: string, bounds?: {x?: number; y?: number; width: number; height: number}): BrowserWindowConstructorOptions {
    return {
        width: bounds?.width ?? 1200,
        height: bounds?.height ?? 800,
        x: bounds?.x,
        y: bounds?.y,
        minWidth: 720,
        minHeight: 480,
        title: "KVShare Desktop",
        show: false,
        webPreferences: {
            preload: preloadPath,
            contextIsolation: true,
            sandbox: true,
            nodeIntegration: false,
            nodeIntegrationInWorker: false,
            nodeIntegrationInSubFrames: false,
            webSecurity: true,
            allowRunningInsecureContent: false,
            experimentalFeatures: false,
            webviewTag: false,
            spellcheck: true
        }
    };
}
