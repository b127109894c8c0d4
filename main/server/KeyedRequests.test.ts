import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import os from "node:os";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {silentLogger} from "../common/log.js";
import {KeyStore} from "../config/apiKeys.js";
import {KeyRevokedError} from "../runtime/abortReasons.js";
import {KeyedRequests} from "./KeyedRequests.js";

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-keyed-"));
});
afterEach(() => {
    fs.rmSync(dir, {recursive: true, force: true});
});

const listeners = (keys: KeyStore): number => (keys as unknown as {removedListeners: Set<unknown>}).removedListeners.size;

describe("KeyedRequests", () => {
    it("aborts a revoked key's running requests, and follows revocations only while one runs", async () => {
        const keys = new KeyStore(path.join(dir, "keys.json"), silentLogger);
        const {entry} = keys.create("student-1");
        const other = keys.create("student-2").entry;
        const keyed = new KeyedRequests(keys, 50);
        // Made and never used (a server that failed to bind): nothing subscribed.
        expect(listeners(keys)).toBe(0);
        const aborts: AbortController[] = [];
        const server = http.createServer((req, res) => {
            const abort = new AbortController();
            aborts.push(abort);
            keyed.add(req.url === "/1" ? entry.id : other.id, abort, res);
            abort.signal.addEventListener("abort", () => res.end("stopped"));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as AddressInfo).port;
        try {
            const first = fetch(`http://127.0.0.1:${port}/1`).then((r) => r.text());
            const second = fetch(`http://127.0.0.1:${port}/2`).then((r) => r.text());
            while (aborts.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
            expect(listeners(keys)).toBe(1);
            // Revoked by another process (the CLI): seen by the poll.
            expect(new KeyStore(path.join(dir, "keys.json"), silentLogger).revoke(entry.id)).toBe(true);
            expect(await first).toBe("stopped");
            expect(aborts[0]!.signal.reason).toBeInstanceOf(KeyRevokedError);
            expect(aborts[1]!.signal.aborted).toBe(false);
            keys.revoke(other.id);
            expect(await second).toBe("stopped");
            // Nothing runs: no listener, no timer.
            await new Promise((resolve) => setTimeout(resolve, 20));
            expect(listeners(keys)).toBe(0);
        } finally {
            keyed.close();
            await new Promise((resolve) => server.close(resolve));
        }
    });
});
