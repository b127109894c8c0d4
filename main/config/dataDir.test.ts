import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {appFolderName, resolveDataDir} from "./dataDir.js";

describe("the data folder (shared by the CLI and the desktop app)", () => {
    it("is --data-dir, else KVSHARE_DATA_DIR, else the per-user default", () => {
        const env = {KVSHARE_DATA_DIR: "/srv/kvshare"};
        expect(resolveDataDir("/tmp/explicit", env)).toBe(path.resolve("/tmp/explicit"));
        expect(resolveDataDir(undefined, env)).toBe(path.resolve("/srv/kvshare"));
        expect(resolveDataDir("", env)).toBe(path.resolve("/srv/kvshare"));
        expect(resolveDataDir(undefined, {KVSHARE_DATA_DIR: ""})).toBe(resolveDataDir(undefined, {}));
        expect(path.basename(resolveDataDir(undefined, {}))).toBe(appFolderName);
    });

    it.runIf(process.platform === "linux")("defaults on Linux to the XDG data folder", () => {
        expect(resolveDataDir(undefined, {XDG_DATA_HOME: "/data/home"})).toBe(path.join("/data/home", appFolderName));
        expect(resolveDataDir(undefined, {})).toBe(path.join(os.homedir(), ".local", "share", appFolderName));
    });
});
