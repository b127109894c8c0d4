import {spawn} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {silentLogger} from "../common/log.js";
import {DataDirLockedError, lockFileName} from "../config/dataDirLock.js";
import {NoModelError} from "../config/resolveModel.js";
import {createCore, listen, startServer} from "./startServer.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-start-"));
const lockFile = (dir: string) => path.join(dir, lockFileName);

/** A real running process to hold a data folder. */
const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], {stdio: "ignore"});
afterAll(() => void holder.kill("SIGKILL"));

describe("start-up on a data folder", () => {
    it("refuses a folder another server uses before writing or opening anything in it", () => {
        const dir = tmp();
        fs.writeFileSync(lockFile(dir), JSON.stringify({pid: holder.pid, host: os.hostname(), startedAt: new Date().toISOString(), nonce: "x"}));
        expect(() => createCore({dataDir: dir, log: silentLogger})).toThrow(DataDirLockedError);
        expect(() => createCore({dataDir: dir, log: silentLogger})).toThrow(`another KVShare server (pid ${holder.pid}) is using ${dir}`);
        expect(fs.readdirSync(dir)).toEqual([lockFileName]);
    });

    it("holds the folder while the core lives, and a start that fails lets it go", async () => {
        const dir = tmp();
        const {core, lock} = createCore({dataDir: dir, log: silentLogger, modelPath: "/nonexistent.gguf"});
        expect(JSON.parse(fs.readFileSync(lockFile(dir), "utf8")).pid).toBe(process.pid);
        expect(() => createCore({dataDir: dir, log: silentLogger})).toThrow(DataDirLockedError);
        await core.dispose();
        lock.release();
        expect(fs.existsSync(lockFile(dir))).toBe(false);

        await expect(startServer({dataDir: dir, log: silentLogger, modelPath: "/nonexistent.gguf"})).rejects.toThrow(NoModelError);
        expect(fs.existsSync(lockFile(dir))).toBe(false);
    });

    it("removes temporary files an interrupted write left, once they are a minute old", async () => {
        const dir = tmp();
        const old = new Date(Date.now() - 120_000);
        for (const name of ["settings.json.77.1700000000000.tmp", "keys.json.77.1700000000000.tmp"]) {
            fs.writeFileSync(path.join(dir, name), "{");
            fs.utimesSync(path.join(dir, name), old, old);
        }
        fs.writeFileSync(path.join(dir, `keys.json.78.${Date.now()}.tmp`), "{");
        const {core, lock} = createCore({dataDir: dir, log: silentLogger, modelPath: "/nonexistent.gguf"});
        await core.dispose();
        lock.release();
        expect(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([expect.stringMatching(/^keys\.json\.78\./)]);
    });

    it("puts the key in the UI's address encoded, so that the page reads it back whole", async () => {
        const dir = tmp();
        const apiKey = "kvs+own&key=0123456789#~";
        const {core, lock} = createCore({dataDir: dir, log: silentLogger, apiKey, modelPath: "/nonexistent.gguf", overrides: {api: {port: 0}}});
        const server = await listen(core);
        try {
            const hash = new URL(server.uiUrl).hash.slice(1);
            expect(new URLSearchParams(hash).get("key")).toBe(apiKey);
        } finally {
            await server.close();
            lock.release();
        }
    });
});
