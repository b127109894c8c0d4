import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, beforeEach, describe, expect, it} from "vitest";
import type {Logger} from "../../main/common/log.js";
import type {Completion, KvShareRecord} from "../../shared/openai.js";
import {otherModelPath, startTestServer, type TestServer} from "../support/testServer.js";

const lily = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball. One day, she saw a big dog.";
const tom = lily.replace("a little girl named Lily. She", "a little boy named Tom. He").replace("her red ball", "his red ball");

const warnings: string[] = [];
const log: Logger = {info() {}, warn: (message) => void warnings.push(message), error: (message) => void warnings.push(message)};

let server: TestServer;
let foreignSnapshot: Buffer;
beforeAll(async () => {
    // A real snapshot written by another model, to plant where a stories260K snapshot should be.
    const other = await startTestServer({modelPath: otherModelPath});
    await complete(other, lily);
    const dir = path.join(other.dataDir, "cache", "snapshots");
    foreignSnapshot = fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]!));
    await other.close();
    server = await startTestServer({log});
});
afterAll(async () => {
    await server.close();
});

async function complete(target: TestServer, prompt: string): Promise<KvShareRecord> {
    const res = await target.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 6, temperature: 0}});
    expect(res.status).toBe(200);
    const body = (await res.json()) as Completion;
    expect(body.choices[0]!.text.length).toBeGreaterThan(0);
    await target.core.requirePipeline().settled();
    return body.x_kvshare!;
}

const store = () => server.core.cache!;
const snapshotsDir = () => path.join(server.dataDir, "cache", "snapshots");

/** Caches lily's prompt alone and returns its snapshot file. */
async function freshDonor(): Promise<string> {
    for (const entry of allEntries()) store().remove(entry.id);
    await complete(server, lily);
    const entries = allEntries();
    expect(entries).toHaveLength(1);
    return path.join(server.dataDir, "cache", entries[0]!.snapshotFile);
}

function allEntries() {
    const entries = [];
    for (let id = 1; id < 10_000; id++) {
        const entry = store().get(id);
        if (entry != null) entries.push(entry);
    }
    return entries;
}

beforeEach(() => {
    warnings.length = 0;
});

describe("a damaged cache is detected, logged once, dropped, and the request still served", () => {
    const damage: Array<[string, (file: string) => void, RegExp]> = [
        ["a truncated snapshot", (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2)), /truncated|corrupt/],
        [
            "a bit-flipped snapshot",
            (file) => {
                const bytes = fs.readFileSync(file);
                bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x01;
                fs.writeFileSync(file, bytes);
            },
            /corrupt/
        ],
        ["a zero-length snapshot", (file) => fs.writeFileSync(file, Buffer.alloc(0)), /truncated|bad-header|corrupt/],
        ["another model's snapshot", (file) => fs.writeFileSync(file, foreignSnapshot), /foreign-model/],
        ["a row whose file is missing", (file) => fs.rmSync(file), /unreadable|missing|ENOENT/],
        [
            // Unreadable, and it cannot be deleted either: it stays, and the request is still served.
            "a folder where the snapshot should be",
            (file) => {
                fs.rmSync(file);
                fs.mkdirSync(file);
                fs.writeFileSync(path.join(file, "inside"), "x");
            },
            /could not delete the snapshot file/
        ]
    ];
    for (const [name, spoil, reason] of damage) {
        it(name, async () => {
            const file = await freshDonor();
            spoil(file);
            // The damage is on disk: take the fresh KV out of the memory tier so the file is read.
            server.core.cache!.dropMemoryTier();
            const record = await complete(server, tom);
            expect(record.mode).not.toBe("semantic");
            expect(record.note).toMatch(/refused/);
            expect(warnings.filter((w) => w.includes("refused"))).toHaveLength(1);
            expect(warnings.join("\n")).toMatch(reason);
            // Said once: "snapshot refused (reason)" is not repeated.
            expect(warnings.join("\n")).not.toMatch(/snapshot refused \([^)]*\):? snapshot refused/);
            // The bad entry is gone; tom's own prompt was cached in its place.
            expect(allEntries().map((e) => e.promptText)).toEqual([tom]);
            fs.rmSync(file, {recursive: true, force: true});
        });
    }

    it("a valid snapshot under the wrong entry (files swapped)", async () => {
        const lilyFile = await freshDonor();
        const other = "The old fisherman sailed out at dawn and counted seven gulls over the grey water.";
        await complete(server, other);
        const otherEntry = allEntries().find((e) => e.promptText === other)!;
        const otherFile = path.join(server.dataDir, "cache", otherEntry.snapshotFile);
        const lilyBytes = fs.readFileSync(lilyFile);
        fs.writeFileSync(lilyFile, fs.readFileSync(otherFile));
        fs.writeFileSync(otherFile, lilyBytes);
        server.core.cache!.dropMemoryTier();
        const record = await complete(server, tom);
        expect(record.mode).not.toBe("semantic");
        expect(record.note).toMatch(/refused \(wrong-entry\)/);
        expect(warnings.join("\n")).toMatch(/wrong-entry/);
        expect(allEntries().map((e) => e.promptText)).not.toContain(lily);
    });

    it("a snapshot write that fails (disk full / unwritable) loses nothing but the cache entry", async () => {
        for (const entry of allEntries()) store().remove(entry.id);
        fs.rmSync(snapshotsDir(), {recursive: true, force: true});
        fs.writeFileSync(snapshotsDir(), "not a folder");
        try {
            const record = await complete(server, lily);
            expect(record.prompt_tokens).toBeGreaterThan(10);
            expect(allEntries()).toHaveLength(0);
            expect(warnings.join("\n")).toMatch(/could not cache/);
        } finally {
            fs.rmSync(snapshotsDir(), {force: true});
            fs.mkdirSync(snapshotsDir());
        }
        // And caching works again once the disk does.
        await complete(server, lily);
        expect(allEntries()).toHaveLength(1);
    });

    it("start-up removes rows without files and files without rows", async () => {
        const file = await freshDonor();
        fs.rmSync(file);
        const orphan = path.join(snapshotsDir(), "orphan.kvsnap");
        fs.writeFileSync(orphan, "junk");
        const old = new Date(Date.now() - 3_600_000);
        fs.utimesSync(orphan, old, old);
        await server.close();
        server = await startTestServer({dataDir: server.dataDir, log});
        expect(allEntries()).toHaveLength(0);
        expect(fs.existsSync(orphan)).toBe(false);
        expect(warnings.join("\n")).toMatch(/consistency pass/);
    });
});

describe("a damaged database file is set aside and a new one started", () => {
    it("app.db and the cache index overwritten with junk: the server starts, says so, keeps the files, and works", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-damaged-"));
        fs.mkdirSync(path.join(dataDir, "cache"));
        const junk = Buffer.alloc(8192, 0x5a);
        fs.writeFileSync(path.join(dataDir, "app.db"), junk);
        fs.writeFileSync(path.join(dataDir, "cache", "kvshare-cache.db"), junk);
        const messages: string[] = [];
        const logged: Logger = {info() {}, warn: (m) => void messages.push(m), error: (m) => void messages.push(m)};
        const damaged = await startTestServer({dataDir, log: logged});
        try {
            const chats = await damaged.api("/kvshare/conversations");
            expect(chats.status).toBe(200);
            expect(await chats.json()).toEqual([]);
            expect(await complete(damaged, lily)).toMatchObject({mode: expect.any(String)});
            expect((await complete(damaged, tom)).mode).toBe("semantic");
            expect(messages.filter((m) => /is damaged \(file is not a database\): kept as .*\.damaged-/.test(m))).toHaveLength(2);
            const kept = (dir: string, name: string) => fs.readdirSync(dir).filter((f) => f.startsWith(`${name}.damaged-`));
            expect(fs.readFileSync(path.join(dataDir, kept(dataDir, "app.db")[0]!))).toEqual(junk);
            expect(kept(path.join(dataDir, "cache"), "kvshare-cache.db")).toHaveLength(1);
        } finally {
            await damaged.close();
            fs.rmSync(dataDir, {recursive: true, force: true});
        }
    });
});
