import fs from "node:fs";
import path from "node:path";
import {writeFileAtomic} from "../config/writeFileAtomic.js";

export interface WindowBounds {
    x?: number;
    y?: number;
    width: number;
    height: number;
}

const fileName = "window-state.json";

/** The window's last bounds, or undefined when none were saved or the file is unreadable. */
export function loadWindowState(dataDir: string): WindowBounds | undefined {
    try {
        const value = JSON.parse(fs.readFileSync(path.join(dataDir, fileName), "utf8")) as Partial<WindowBounds>;
        if (typeof value.width !== "number" || typeof value.height !== "number") return undefined;
        if (value.width < 400 || value.height < 300) return undefined;
        return {x: value.x, y: value.y, width: value.width, height: value.height};
    } catch {
        return undefined;
    }
}

export function saveWindowState(dataDir: string, bounds: WindowBounds): void {
    writeFileAtomic(path.join(dataDir, fileName), JSON.stringify(bounds));
}
