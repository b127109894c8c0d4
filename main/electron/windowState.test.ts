import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {loadWindowState, placeOnDisplays, saveWindowState} from "./windowState.js";

const laptop = {x: 0, y: 0, width: 1440, height: 870};
/** A second monitor to the laptop's right. */
const monitor = {x: 1440, y: -200, width: 2560, height: 1400};

describe("placing the window on the displays connected now", () => {
    it("keeps a position that shows on any display", () => {
        expect(placeOnDisplays({x: 100, y: 50, width: 1000, height: 700}, [laptop])).toEqual({x: 100, y: 50, width: 1000, height: 700});
        expect(placeOnDisplays({x: 2000, y: 0, width: 1000, height: 700}, [laptop, monitor])).toEqual({x: 2000, y: 0, width: 1000, height: 700});
        // Partly off the edge, but enough of it shows to take hold of it.
        expect(placeOnDisplays({x: -900, y: 100, width: 1000, height: 700}, [laptop])).toEqual({x: -900, y: 100, width: 1000, height: 700});
    });

    it("drops the position, keeping the size, where no display shows the window", () => {
        // Last seen on a monitor since unplugged.
        expect(placeOnDisplays({x: 2000, y: 0, width: 1000, height: 700}, [laptop])).toEqual({width: 1000, height: 700});
        // Saved while minimised on Windows.
        expect(placeOnDisplays({x: -32000, y: -32000, width: 1000, height: 700}, [laptop, monitor])).toEqual({width: 1000, height: 700});
        // A sliver along an edge is not enough.
        expect(placeOnDisplays({x: 1430, y: 100, width: 1000, height: 700}, [laptop])).toEqual({width: 1000, height: 700});
        expect(placeOnDisplays({x: 100, y: 50, width: 1000, height: 700}, [])).toEqual({width: 1000, height: 700});
    });

    it("leaves a window without a saved position, or without saved bounds, to the defaults", () => {
        expect(placeOnDisplays({width: 1000, height: 700}, [laptop])).toEqual({width: 1000, height: 700});
        expect(placeOnDisplays(undefined, [laptop])).toBeUndefined();
    });
});

describe("the saved window state", () => {
    const folderWith = (content: string) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-window-"));
        fs.writeFileSync(path.join(dir, "window-state.json"), content);
        return dir;
    };

    it("round-trips", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-window-"));
        saveWindowState(dir, {x: 10, y: 20, width: 900, height: 650});
        expect(loadWindowState(dir)).toEqual({x: 10, y: 20, width: 900, height: 650});
    });

    it("ignores absurd or damaged values", () => {
        expect(loadWindowState(folderWith(JSON.stringify({x: 0, y: 0, width: 1e9, height: 700})))).toBeUndefined();
        expect(loadWindowState(folderWith(JSON.stringify({x: 0, y: 0, width: 100, height: 700})))).toBeUndefined();
        expect(loadWindowState(folderWith('{"x": 0, "y": 0, "width": "wide", "height": 700}'))).toBeUndefined();
        expect(loadWindowState(folderWith("null"))).toBeUndefined();
        expect(loadWindowState(folderWith("{not json"))).toBeUndefined();
        // An unusable position alone is dropped; the size is kept.
        expect(loadWindowState(folderWith(JSON.stringify({x: 1e12, y: 0, width: 1000, height: 700})))).toEqual({width: 1000, height: 700});
        expect(loadWindowState(folderWith(JSON.stringify({x: "10", y: 0, width: 1000, height: 700})))).toEqual({width: 1000, height: 700});
        expect(loadWindowState(folderWith(JSON.stringify({x: 10, width: 1000, height: 700})))).toEqual({width: 1000, height: 700});
    });
});
