import type {Backend} from "../../../shared/backend.js";
import {loadApiKey} from "./apiKey.js";
import {BridgeBackend} from "./bridgeBackend.js";
import {HttpBackend} from "./httpBackend.js";

/** The preload bridge inside Electron, else HTTP to the server that served this page. */
export function createBackend(win: Window = window): Backend {
    if (win.kvshare) return new BridgeBackend(win.kvshare);
    return new HttpBackend({getApiKey: () => loadApiKey()});
}

let current: Backend | null = null;

/** The backend the stores talk to; created on first use, replaceable in tests. */
export function getBackend(): Backend {
    current ??= createBackend();
    return current;
}

export function setBackend(backend: Backend | null): void {
    current = backend;
}
