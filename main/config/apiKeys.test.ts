import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import type {Logger} from "../common/log.js";
import {KeysUnavailableError, KeyStore} from "./apiKeys.js";

/** A logger that keeps what it is told (a real Logger, read back by the test). */
function keptLog(): Logger & {lines: string[]} {
    const lines: string[] = [];
    return {lines, info: (m) => void lines.push(`info: ${m}`), warn: (m) => void lines.push(`warn: ${m}`), error: (m) => void lines.push(`error: ${m}`)};
}

function thrown(run: () => unknown): unknown {
    try {
        run();
    } catch (error) {
        return error;
    }
    return undefined;
}

describe("a keys.json damaged while the server runs", () => {
    it("unknown keys stay a 401, issued ones are refused without the path, a revoked one never comes back, and the admin is told once", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-keys-"));
        const file = path.join(dir, "keys.json");
        const log = keptLog();
        const server = KeyStore.inDataDir(dir, log);
        const alice = server.create("alice");
        const bob = server.create("bob", "ward");
        expect(server.find(bob.key)?.name).toBe("bob");

        // The CLI (another process, its own store) revokes bob; before the server reads that, the file is damaged.
        expect(KeyStore.inDataDir(dir).revoke(bob.entry.id)).toBe(true);
        const damage = '[{"id":"abc", "na';
        fs.writeFileSync(file, damage);

        expect(server.find("nonsense")).toBeUndefined();
        for (const key of [alice.key, bob.key]) {
            const refused = thrown(() => server.find(key));
            expect(refused).toBeInstanceOf(KeysUnavailableError);
            expect((refused as Error).message).not.toContain(dir);
            expect((refused as KeysUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
        }
        const errors = log.lines.filter((line) => line.startsWith("error: "));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toContain(`The API keys file ${file} is not valid JSON`);
        expect(errors[0]).toMatch(/refused \(503\)/);

        // The admin's operations name the file, and nothing is written over it.
        expect(() => server.list()).toThrow(`The API keys file ${file} is not valid JSON`);
        expect(() => server.create("carol")).toThrow(`The API keys file ${file}`);
        expect(() => server.revoke(alice.entry.id)).toThrow(`The API keys file ${file}`);
        expect(fs.readFileSync(file, "utf8")).toBe(damage);
        expect(log.lines.filter((line) => line.startsWith("error: "))).toHaveLength(1);

        // Fixed (bob's revocation included): alice works again, bob stays revoked.
        fs.writeFileSync(file, JSON.stringify([alice.entry]));
        expect(server.find(alice.key)?.name).toBe("alice");
        expect(server.find(bob.key)).toBeUndefined();
        expect(log.lines.at(-1)).toMatch(/^info: .*can be read again/);
    });

    it("entries that are not keys (no hash) are damage too, not a crash on every request", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-keys-"));
        const log = keptLog();
        const server = KeyStore.inDataDir(dir, log);
        const alice = server.create("alice");
        fs.writeFileSync(path.join(dir, "keys.json"), JSON.stringify([{id: "abc", name: "x", hash: "zz", hint: "kvs-", createdAt: ""}]));
        expect(server.find("nonsense")).toBeUndefined();
        expect(() => server.find(alice.key)).toThrow(KeysUnavailableError);
        expect(log.lines.join("\n")).toMatch(/entry 1 lacks an id, name, sha256 hash, hint or createdAt/);
        // Deleting the file revokes every issued key (what the message tells the admin).
        fs.rmSync(path.join(dir, "keys.json"));
        expect(server.find(alice.key)).toBeUndefined();
        expect(server.list()).toEqual([]);
    });
});
