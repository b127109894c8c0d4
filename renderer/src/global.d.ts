import type {KvshareBridge} from "../../shared/backend.js";

declare global {
    interface Window {
        /** The preload bridge (see preload/index.ts); present only inside the Electron window. */
        kvshare?: KvshareBridge;
    }
}

export {};
