import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {adoptLegacyDataDir} from "./legacyDataDir.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-legacy-"));

describe("an earlier version's data in Electron's userData folder", () => {
    it("is moved into the data folder once, Chromium's own files left where they are", () => {
        const legacy = tmp();
        const dataDir = path.join(tmp(), "kvshare-desktop");
        fs.writeFileSync(path.join(legacy, "settings.json"), '{"threads": 2}');
        fs.writeFileSync(path.join(legacy, "app.db"), "chats");
        fs.mkdirSync(path.join(legacy, "cache", "snapshots"), {recursive: true});
        fs.writeFileSync(path.join(legacy, "cache", "snapshots", "a.kvsnap"), "kv");
        fs.mkdirSync(path.join(legacy, "Local Storage"));
        expect(adoptLegacyDataDir(legacy, dataDir).sort()).toEqual(["app.db", "cache", "settings.json"]);
        expect(fs.readFileSync(path.join(dataDir, "app.db"), "utf8")).toBe("chats");
        expect(fs.readFileSync(path.join(dataDir, "cache", "snapshots", "a.kvsnap"), "utf8")).toBe("kv");
        expect(fs.existsSync(path.join(legacy, "app.db"))).toBe(false);
        expect(fs.existsSync(path.join(legacy, "Local Storage"))).toBe(true);
        expect(fs.existsSync(path.join(dataDir, "Local Storage"))).toBe(false);
        // Done once: the data folder is in use now.
        fs.writeFileSync(path.join(legacy, "settings.json"), "{}");
        expect(adoptLegacyDataDir(legacy, dataDir)).toEqual([]);
    });

    it("leaves both alone when the data folder is in use already, or the old one holds nothing of the app's", () => {
        const legacy = tmp();
        const dataDir = tmp();
        fs.writeFileSync(path.join(legacy, "app.db"), "old chats");
        fs.writeFileSync(path.join(dataDir, "api-key"), "kvs-key-of-serve-0123456789");
        expect(adoptLegacyDataDir(legacy, dataDir)).toEqual([]);
        expect(fs.readFileSync(path.join(legacy, "app.db"), "utf8")).toBe("old chats");
        const chromiumOnly = tmp();
        fs.mkdirSync(path.join(chromiumOnly, "Local Storage"));
        expect(adoptLegacyDataDir(chromiumOnly, path.join(tmp(), "new"))).toEqual([]);
        expect(adoptLegacyDataDir(dataDir, dataDir)).toEqual([]);
    });
});
