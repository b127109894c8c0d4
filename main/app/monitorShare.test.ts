import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {defaultSettings} from "../config/settings.js";
import {AppCore} from "./AppCore.js";
import {silentLogger} from "../common/log.js";

const dirs: string[] = [];
afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, {recursive: true, force: true});
});

function core(): AppCore {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-monitor-share-"));
    dirs.push(dir);
    return new AppCore(structuredClone(defaultSettings), "key", dir, undefined, silentLogger);
}

describe("the quality monitor's share", () => {
    it("is off for the headless server, the shell's default where it sets one, and the admin's value when set", async () => {
        const headless = core();
        expect(headless.settings.sharing.monitorShare).toBeNull();
        expect(headless.monitorShare).toBe(0);
        const desktop = core();
        desktop.monitorDefaultShare = 0.25;
        expect(desktop.monitorShare).toBe(0.25);
        desktop.settings.sharing.monitorShare = 0;
        expect(desktop.monitorShare).toBe(0);
        headless.settings.sharing.monitorShare = 0.5;
        expect(headless.monitorShare).toBe(0.5);
        await headless.dispose();
        await desktop.dispose();
    });
});
