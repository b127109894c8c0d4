import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {secureDataDir} from "./ownerOnly.js";

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe.skipIf(process.platform === "win32")("secureDataDir", () => {
    it("tightens the app's own entries, and the folder when it holds nothing else", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-owner-"));
        fs.chmodSync(dir, 0o755);
        fs.mkdirSync(path.join(dir, "cache", "snapshots"), {recursive: true, mode: 0o755});
        fs.writeFileSync(path.join(dir, "cache", "snapshots", "a.kvsnap"), "x", {mode: 0o644});
        fs.writeFileSync(path.join(dir, "settings.json"), "{}", {mode: 0o644});
        const {changed, folderOpen} = secureDataDir(dir);
        expect(folderOpen).toBe(false);
        expect(changed).toEqual(expect.arrayContaining([".", "cache", "cache/snapshots", "cache/snapshots/a.kvsnap", "settings.json"]));
        expect(mode(dir)).toBe(0o700);
        expect(mode(path.join(dir, "cache", "snapshots", "a.kvsnap"))).toBe(0o600);
    });

    it("leaves a shared folder and files not its own alone, and says the folder is open", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-owner-"));
        fs.chmodSync(dir, 0o755);
        fs.writeFileSync(path.join(dir, "notes.txt"), "mine", {mode: 0o644});
        fs.writeFileSync(path.join(dir, "app.db"), "", {mode: 0o644});
        const {changed, folderOpen} = secureDataDir(dir);
        expect(folderOpen).toBe(true);
        expect(changed).toEqual(["app.db"]);
        expect(mode(dir)).toBe(0o755);
        expect(mode(path.join(dir, "notes.txt"))).toBe(0o644);
    });
});
