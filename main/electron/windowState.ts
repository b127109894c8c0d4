import fs from "node:fs";
import path from "node:path";
import {writeFileAtomic} from "../config/writeFileAtomic.js";

export interface WindowBounds {
    x?: number;
    y?: number;
    width: number;
    height: number;
}

/** A rectangle on the virtual desktop, such as a display's work area (Electron's `Rectangle`). */
export interface Rect {
    x: number;
    y: number;
    width: number;
    height: number;
}

const fileName = "window-state.json";

/** Below this the saved size is not used (the window's minimum size is larger anyway). */
const minSize = {width: 400, height: 300};
/** Larger than any display setup: such a value comes from a damaged or hand-edited file. */
const maxSide = 32_768;
/** How much of the window must show on a display for the user to see it and take hold of it. */
const minVisible = 64;

const isCoordinate = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= maxSide * 4;
const isSide = (value: unknown, min: number): value is number => typeof value === "number" && Number.isFinite(value) && value >= min && value <= maxSide;

/** The window's last bounds, or undefined when none were saved or the file is unreadable or absurd. */
export function loadWindowState(dataDir: string): WindowBounds | undefined {
    try {
        const value = JSON.parse(fs.readFileSync(path.join(dataDir, fileName), "utf8")) as Partial<Record<keyof WindowBounds, unknown>> | null;
        if (value == null || !isSide(value.width, minSize.width) || !isSide(value.height, minSize.height)) return undefined;
        const size = {width: Math.round(value.width), height: Math.round(value.height)};
        return isCoordinate(value.x) && isCoordinate(value.y) ? {x: Math.round(value.x), y: Math.round(value.y), ...size} : size;
    } catch {
        return undefined;
    }
}

export function saveWindowState(dataDir: string, bounds: WindowBounds): void {
    writeFileAtomic(path.join(dataDir, fileName), JSON.stringify(bounds));
}

/**
 * Where to open the window: at its saved position only where enough of it shows on a display connected
 * now; otherwise with its saved size and no position, which Electron centres. A window last seen on a
 * monitor since unplugged, or saved while minimised on Windows (at -32000, -32000), would open off-screen.
 */
export function placeOnDisplays(saved: WindowBounds | undefined, workAreas: readonly Rect[]): WindowBounds | undefined {
    if (saved == null) return undefined;
    const {x, y, width, height} = saved;
    const size = {width, height};
    if (x == null || y == null) return size;
    const shows = workAreas.some((area) => overlap(x, width, area.x, area.width) >= minVisible && overlap(y, height, area.y, area.height) >= minVisible);
    return shows ? {x, y, width, height} : size;
}

/** The length two segments (start, length) share on one axis. */
function overlap(start: number, length: number, otherStart: number, otherLength: number): number {
    return Math.min(start + length, otherStart + otherLength) - Math.max(start, otherStart);
}
