import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {CacheStore, hashTokens, SCHEMA_VERSION, type CacheStoreOptions, type NewCacheEntry} from "./index.js";
import {isDamagedDatabase} from "../../common/damagedDatabase.js";
import {damageRootPage} from "../../common/__tests__/damagePage.js";
import {dot, LexicalEmbedder} from "../embed/index.js";
import {tinyStories, WordTokenizer} from "../../../test/support/testData.js";

const embedder = new LexicalEmbedder();
const MODEL_A = "sha256:model-a";
const MODEL_B = "sha256:model-b";

describe("CacheStore", () => {
    let dir: string;
    let clock: number;
    let store: CacheStore;
    const tok = new WordTokenizer();
    let fileCounter = 0;

    const open = (e: {id: string; dimensions: number} = embedder, options: Partial<CacheStoreOptions> = {}): CacheStore =>
        CacheStore.open({cacheDir: dir, embedder: e, now: () => clock, ...options});

    /** Write a real snapshot file of `bytes` bytes and describe an entry for it. */
    const entry = (text: string, over: Partial<NewCacheEntry> = {}): NewCacheEntry => {
        const snapshotFile = over.snapshotFile ?? `snapshots/${++fileCounter}.kvsnap`;
        const bytes = over.bytes ?? 1000;
        fs.mkdirSync(path.dirname(path.join(dir, snapshotFile)), {recursive: true});
        fs.writeFileSync(path.join(dir, snapshotFile), Buffer.alloc(bytes, 1));
        return {modelFingerprint: MODEL_A, scope: "global", promptText: text, tokens: tok.encode(text), snapshotFile, bytes, ...over};
    };
    const add = (text: string, over: Partial<NewCacheEntry> = {}) => store.insert(entry(text, over), embedder.embedOne(text));

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-store-"));
        clock = 1_700_000_000_000;
        store = open();
    });
    afterEach(() => {
        try {
            store.close();
        } catch {
            /* already closed */
        }
        fs.rmSync(dir, {recursive: true, force: true});
    });

    it("creates the schema in WAL mode with foreign keys and the vector index", () => {
        expect(store.vectorIndexState).toBe("created");
        const raw = new Database(store.dbPath, {readonly: true});
        expect(raw.pragma("journal_mode", {simple: true})).toBe("wal");
        expect(raw.pragma("user_version", {simple: true})).toBe(SCHEMA_VERSION);
        expect(raw.prepare("SELECT value FROM meta WHERE key = 'embedder_id'").get()).toEqual({value: "lexical-v3-384"});
        raw.close();
        // foreign_keys is per connection; check ours through a fresh open of the same file.
        const s2 = open();
        expect((s2 as unknown as {db: Database.Database}).db.pragma("foreign_keys", {simple: true})).toBe(1);
        expect((s2 as unknown as {db: Database.Database}).db.pragma("busy_timeout", {simple: true})).toBe(5000);
        s2.close();
    });

    it("round-trips an entry: tokens as int32 LE, sha256 token hash, timestamps", () => {
        const text = "Once upon a time, there was a little girl named Lily.";
        const e = add(text, {scope: "user:alice"});
        expect(e.id).toBeGreaterThan(0);
        expect(Array.from(e.tokens)).toEqual(tok.encode(text));
        expect(e.tokenHash).toBe(hashTokens(tok.encode(text)));
        expect(e).toMatchObject({
            modelFingerprint: MODEL_A,
            scope: "user:alice",
            promptText: text,
            bytes: 1000,
            createdAt: clock,
            lastUsedAt: clock,
            hitCount: 0,
            embedderId: "lexical-v3-384"
        });
        // Stored bytes are little-endian int32, whatever reads them.
        const raw = new Database(store.dbPath, {readonly: true});
        const blob = (raw.prepare("SELECT tokens FROM entries WHERE id = ?").get(e.id) as {tokens: Buffer}).tokens;
        raw.close();
        expect(blob.readInt32LE(4)).toBe(tok.encode(text)[1]);
    });

    it("findExact: same tokens, same model, a visible scope", () => {
        const text = "Tell me about the clinic opening hours.";
        const hash = hashTokens(tok.encode(text));
        const mine = add(text, {scope: "user:alice"});
        add(text, {modelFingerprint: MODEL_B, scope: "global"});
        expect(store.findExact(MODEL_A, ["global", "user:alice"], hash)?.id).toBe(mine.id);
        expect(store.findExact(MODEL_A, ["global", "user:bob"], hash)).toBeUndefined();
        expect(store.findExact(MODEL_A, [], hash)).toBeUndefined();
        expect(store.findExact(MODEL_A, ["user:alice"], hashTokens([1, 2, 3]))).toBeUndefined();
        expect(store.findExact(MODEL_B, ["global"], hash)?.modelFingerprint).toBe(MODEL_B);
    });

    /** The exact top k by brute force over `vectors`: the ids and similarities `nearest` must return. */
    const bruteForce = (vectors: ReadonlyMap<number, Float32Array>, query: Float32Array, k: number) =>
        [...vectors]
            .map(([id, v]) => ({id, similarity: dot(v, query)}))
            .sort((a, b) => b.similarity - a.similarity || a.id - b.id)
            .slice(0, k);

    describe.each([
        ["an exact scan", undefined],
        ["sign bits and an exact re-score", 0]
    ] as const)("nearest by %s, on real TinyStories prompts", (_search, exactSearchLimit) => {
        const stories = tinyStories().slice(0, 150);
        beforeEach(() => {
            store.close();
            store = open(embedder, {exactSearchLimit});
        });

        it("finds the story a name-swapped prompt came from, above the threshold only", () => {
            for (const s of stories) add(s);
            const original = stories[42] as string;
            const name = /named (\w+)/.exec(original)?.[1] ?? "Lily";
            const query = original.replaceAll(name, name === "Zed" ? "Quin" : "Zed");
            expect(query).not.toBe(original);
            const hits = store.nearest(MODEL_A, ["global"], embedder.embedOne(query), 5, 0.3);
            expect(hits[0]?.entry.promptText).toBe(original);
            expect(hits[0]?.similarity).toBeGreaterThan(0.7);
            for (let i = 1; i < hits.length; i++) expect(hits[i]!.similarity).toBeLessThanOrEqual(hits[i - 1]!.similarity);
            // Raising the threshold above the pair's similarity turns the hit into a miss.
            expect(store.nearest(MODEL_A, ["global"], embedder.embedOne(query), 5, hits[0]!.similarity + 0.01)).toEqual([]);
        });

        it("never returns another model's entries, even when they are closer", () => {
            for (const s of stories.slice(0, 20)) add(s);
            // Model B holds the exact query text many times: it would win any unfiltered KNN.
            const query = stories[100] as string;
            for (let i = 0; i < 30; i++) add(query, {modelFingerprint: MODEL_B});
            const hits = store.nearest(MODEL_A, ["global"], embedder.embedOne(query), 10, -1);
            expect(hits).toHaveLength(10);
            expect(hits.every((h) => h.entry.modelFingerprint === MODEL_A)).toBe(true);
            expect(store.nearest(MODEL_B, ["global"], embedder.embedOne(query), 3, 0.99).map((h) => h.entry.modelFingerprint)).toEqual([
                MODEL_B,
                MODEL_B,
                MODEL_B
            ]);
            expect(store.nearest("sha256:unknown", ["global"], embedder.embedOne(query), 10, -1)).toEqual([]);
        });

        it("filters by scope inside the KNN, so k counts only visible entries", () => {
            const query = stories[7] as string;
            for (let i = 0; i < 50; i++) add(query, {scope: "user:alice"}); // alice's private copies, all closest
            const shared = add(stories[8] as string, {scope: "group:ward-3"});
            add(stories[9] as string, {scope: "global"});
            const bob = store.nearest(MODEL_A, ["global", "group:ward-3", "user:bob"], embedder.embedOne(query), 2, -1);
            expect(bob.map((h) => h.entry.scope).sort()).toEqual(["global", "group:ward-3"]);
            expect(bob.some((h) => h.entry.id === shared.id)).toBe(true);
            const alice = store.nearest(MODEL_A, ["user:alice"], embedder.embedOne(query), 3, 0.99);
            expect(alice).toHaveLength(3);
            expect(store.nearest(MODEL_A, [], embedder.embedOne(query), 3, -1)).toEqual([]);
        });

        it("filters by model and scope before taking candidates, however many closer ones others have", () => {
            const query = stories[7] as string;
            for (let i = 0; i < 100; i++) {
                add(query, {scope: "user:alice"});
                add(query, {modelFingerprint: MODEL_B});
            }
            const visible = stories.slice(20, 25).map((s) => add(s).id);
            const bob = store.nearest(MODEL_A, ["global", "user:bob"], embedder.embedOne(query), 3, -1);
            expect(bob).toHaveLength(3);
            expect(bob.every((h) => visible.includes(h.entry.id))).toBe(true);
        });

        it("returns the exact top k with exact similarities when it compares every visible entry", () => {
            // 60 entries: the sign-bit search's 8·k candidates hold all of them.
            const vectors = new Map(stories.slice(0, 60).map((s) => [add(s).id, embedder.embedOne(s)] as const));
            for (const source of stories.slice(0, 60).filter((_, i) => i % 6 === 0)) {
                const query = embedder.embedOne(source.replace(/\b(\w+)\b/, "Zed"));
                const hits = store.nearest(MODEL_A, ["global"], query, 8, -1);
                const exact = bruteForce(vectors, query, 8);
                expect(hits.map((h) => h.entry.id)).toEqual(exact.map((e) => e.id));
                hits.forEach((h, i) => expect(h.similarity).toBeCloseTo(exact[i]!.similarity, 5));
            }
        });

        it("never matches a zero vector (a prompt without words), and a zero query matches nothing", () => {
            const blank = "!!! ??? ...";
            expect(embedder.embedOne(blank).every((x) => x === 0)).toBe(true);
            const empty = add(blank);
            const story = add(stories[3] as string);
            const hits = store.nearest(MODEL_A, ["global"], embedder.embedOne(stories[3] as string), 5, -1);
            expect(hits.map((h) => h.entry.id)).toEqual([story.id]);
            expect(store.nearest(MODEL_A, ["global"], embedder.embedOne(blank), 5, -1)).toEqual([]);
            expect(store.findExact(MODEL_A, ["global"], empty.tokenHash)?.id).toBe(empty.id);
        });
    });

    it("nearest scans exactly up to exactSearchLimit entries of a model, and searches sign bits beyond", () => {
        // Eight dimensions, vectors made by hand: the entry nearest the query in angle has the most
        // sign bits flipped, behind eight decoys of the query's signs but further away in angle.
        const tiny = {id: "hand-8", dimensions: 8};
        const unit = (v: number[]) => {
            const n = Math.hypot(...v);
            return Float32Array.from(v, (x) => x / n);
        };
        const query = unit([1, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01]);
        store.close();
        store = open(tiny, {exactSearchLimit: 9});
        const twin = store.insert(entry("twin"), unit([1, -0.01, -0.01, -0.01, -0.01, -0.01, -0.01, -0.01]));
        const decoys = new Map<number, Float32Array>();
        const decoy = (s: CacheStore, i: number) => {
            const v = unit([1, 1, 1, 1, 1, 1, 1, 1 + i / 10]);
            decoys.set(s.insert(entry(`decoy ${i}`), v).id, v);
        };
        for (let i = 0; i < 8; i++) decoy(store, i);
        expect(store.nearest(MODEL_A, ["global"], query, 1, -1)[0]?.entry.id).toBe(twin.id); // 9 entries: exact
        // Another connection adds one: this one sees it (SQLite's data_version moved) and has 10 entries.
        const other = open(tiny);
        decoy(other, 8);
        other.close();
        const [hit] = store.nearest(MODEL_A, ["global"], query, 1, -1);
        expect(decoys.has(hit!.entry.id)).toBe(true);
        expect(hit?.similarity).toBeCloseTo(dot(query, decoys.get(hit!.entry.id)!), 6); // re-scored exactly
        store.remove(hit!.entry.id); // back to 9, counted by this connection
        expect(store.nearest(MODEL_A, ["global"], query, 1, -1)[0]?.entry.id).toBe(twin.id);
    });

    it("the sign-bit search follows changes made after it first ran, by this connection and by another", () => {
        store.close();
        store = open(embedder, {exactSearchLimit: 0});
        const stories = tinyStories().slice(0, 60);
        for (const s of stories.slice(0, 50)) add(s);
        const ask = (text: string) => store.nearest(MODEL_A, ["global"], embedder.embedOne(text), 3, -1);
        const first = stories[50] as string;
        expect(ask(first)[0]?.entry.promptText).not.toBe(first); // not stored yet; the index is now in memory

        // Another connection adds and removes: the next search sees both.
        const other = open(embedder, {exactSearchLimit: 0});
        const added = other.insert(entry(first), embedder.embedOne(first));
        const second = stories[51] as string;
        const doomed = other.insert(entry(second), embedder.embedOne(second));
        expect(ask(first)[0]?.entry.id).toBe(added.id);
        expect(ask(second)[0]?.entry.id).toBe(doomed.id);
        other.remove(doomed.id);
        expect(ask(second).map((hit) => hit.entry.id)).not.toContain(doomed.id);
        other.close();

        // This connection's own insert, re-embedding and removal.
        const third = stories[52] as string;
        const mine = add(third);
        expect(ask(third)[0]).toMatchObject({entry: {id: mine.id}, similarity: expect.closeTo(1, 6)});
        store.setEmbedding(mine.id, embedder.embedOne(stories[53] as string));
        expect(ask(third)[0]?.entry.id).not.toBe(mine.id);
        expect(ask(stories[53] as string)[0]?.entry.id).toBe(mine.id);
        store.remove(mine.id);
        expect(ask(stories[53] as string).map((hit) => hit.entry.id)).not.toContain(mine.id);
        // Another scope's entry is never a candidate, however similar.
        store.insert(entry(third, {scope: "user:alice"}), embedder.embedOne(third));
        expect(ask(third).every((hit) => hit.entry.scope === "global")).toBe(true);
    });

    it("on a larger set, the sign-bit search finds what a paraphrase came from, with exact similarities", () => {
        store.close();
        store = open(embedder, {exactSearchLimit: 0});
        const stories = tinyStories().slice(0, 400);
        const vectors = new Map(stories.map((s) => [add(s).id, embedder.embedOne(s)] as const));
        const ids = [...vectors.keys()];
        for (let i = 0; i < stories.length; i += 20) {
            const query = embedder.embedOne((stories[i] as string).replace(/\b(\w+)\b/, "Zed"));
            const hits = store.nearest(MODEL_A, ["global"], query, 8, -1);
            expect(hits).toHaveLength(8);
            expect(hits[0]?.entry.id).toBe(ids[i]);
            expect(hits[0]?.entry.id).toBe(bruteForce(vectors, query, 1)[0]?.id);
            for (const [j, h] of hits.entries()) {
                expect(h.similarity).toBeCloseTo(dot(vectors.get(h.entry.id)!, query), 5);
                if (j > 0) expect(h.similarity).toBeLessThanOrEqual(hits[j - 1]!.similarity);
            }
        }
    });

    it("rejects vectors of the wrong size and paths outside the cache dir", () => {
        expect(() => store.insert(entry("x"), new Float32Array(64))).toThrow(RangeError);
        expect(() => store.nearest(MODEL_A, ["global"], new Float32Array(10), 3, 0)).toThrow(RangeError);
        for (const bad of ["../evil", "/etc/passwd", "snapshots/../../x", ""]) expect(() => store.insert({...entry("y"), snapshotFile: bad}, null)).toThrow();
        // Two rows may not own one file (removing one would break the other).
        const e = add("one");
        expect(() => store.insert({...entry("two"), snapshotFile: e.snapshotFile}, null)).toThrow(/UNIQUE/);
    });

    it("entries without an embedding are exact-only", () => {
        const text = "An entry stored without a vector.";
        const e = store.insert(entry(text), null);
        expect(e.embedderId).toBeNull();
        expect(store.nearest(MODEL_A, ["global"], embedder.embedOne(text), 5, -1)).toEqual([]);
        expect(store.findExact(MODEL_A, ["global"], e.tokenHash)?.id).toBe(e.id);
        expect(store.entriesWithoutEmbedding().map((x) => x.id)).toEqual([e.id]);
    });

    it("touch records use; remove deletes row, vector and file", () => {
        const e = add("The quick brown fox jumps over the lazy dog.");
        clock += 5000;
        store.touch(e.id);
        store.touch(e.id);
        expect(store.get(e.id)).toMatchObject({lastUsedAt: clock, hitCount: 2, createdAt: clock - 5000});
        const file = path.join(dir, e.snapshotFile);
        expect(fs.existsSync(file)).toBe(true);
        expect(store.remove(e.id)?.id).toBe(e.id);
        expect(fs.existsSync(file)).toBe(false);
        expect(store.get(e.id)).toBeUndefined();
        expect(store.nearest(MODEL_A, ["global"], embedder.embedOne("The quick brown fox"), 5, -1)).toEqual([]);
        expect(store.remove(e.id)).toBeUndefined();
        // Ids are never reused.
        expect(add("another").id).toBeGreaterThan(e.id);
    });

    it("totalBytes and evictToBudget: stale × large first, kept ids spared", () => {
        const old = add("old small", {bytes: 1000}); // used at t0
        clock += 10_000;
        const big = add("fresh big", {bytes: 50_000}); // used at t0+10s
        const mid = add("fresh mid", {bytes: 5_000});
        clock += 1_000;
        store.touch(old.id); // old is now the most recent
        clock += 60_000;
        expect(store.totalBytes()).toBe(56_000);
        expect(store.totalBytes(MODEL_A)).toBe(56_000);
        expect(store.totalBytes(MODEL_B)).toBe(0);
        // Scores: big 61s×50000 ≫ mid 61s×5000 > old 60s×1000.
        expect(store.evictToBudget(100_000)).toEqual([]);
        const removed = store.evictToBudget(10_000);
        expect(removed.map((e) => e.id)).toEqual([big.id]);
        expect(fs.existsSync(path.join(dir, big.snapshotFile))).toBe(false);
        expect(store.evictToBudget(1_500, {keep: [mid.id]}).map((e) => e.id)).toEqual([old.id]);
        expect(store.totalBytes()).toBe(5_000); // over budget: only a kept entry is left
        expect(store.evictToBudget(0).map((e) => e.id)).toEqual([mid.id]);
        expect(store.count()).toBe(0);
    });

    it("reads the cache's total, a scope's and the eviction order from an index, never every prompt's row", () => {
        const db = (store as unknown as {db: Database.Database}).db;
        const plan = (sql: string, ...params: unknown[]) =>
            (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{detail: string}>).map((row) => row.detail).join(" | ");
        expect(plan("SELECT COALESCE(SUM(bytes), 0) AS total FROM entries")).toMatch(/COVERING INDEX/);
        expect(plan("SELECT COUNT(*) AS entries, COALESCE(SUM(bytes), 0) AS bytes FROM entries WHERE scope = ?", "global")).toMatch(/COVERING INDEX/);
        expect(plan("SELECT id, bytes FROM entries ORDER BY CAST(MAX(? - last_used_at, 0) + 1000 AS REAL) * bytes DESC, last_used_at ASC, id ASC", 1)).toMatch(
            /COVERING INDEX/
        );
    });

    it("evictToBudget: past the budget by the slack asked; the same order to remove in steps", () => {
        for (let i = 0; i < 20; i++) {
            add(`entry ${i}`, {bytes: 1000});
            clock += 1000; // the first added is the stalest
        }
        // 20,000 bytes over a 19,500 budget: one entry would do; a 4,000-byte slack takes five.
        expect(store.evictToBudget(19_500, {slackBytes: 4_000}).map((e) => e.promptText)).toEqual(["entry 0", "entry 1", "entry 2", "entry 3", "entry 4"]);
        expect(store.totalBytes()).toBe(15_000);
        // Within the budget: nothing, whatever the slack.
        expect(store.evictToBudget(15_000, {slackBytes: 10_000})).toEqual([]);
        // In steps: the order chosen once, removed two at a time; one gone meanwhile is skipped.
        const order = store.evictionOrder(10_000);
        expect(order).toHaveLength(5);
        expect(store.get(order[0]!)?.promptText).toBe("entry 5");
        store.remove(order[1]!);
        expect(store.removeEntries(order.slice(0, 2)).map((e) => e.id)).toEqual([order[0]]);
        expect(store.removeEntries(order.slice(2, 4))).toHaveLength(2);
        expect(store.removeEntries(order.slice(4))).toHaveLength(1);
        expect(store.totalBytes()).toBe(10_000);
        expect(store.evictionOrder(10_000)).toEqual([]);
    });

    it("gives an eviction's space back to the file system: the index file shrinks and its log is emptied", () => {
        const raw = () => (store as unknown as {db: Database.Database}).db;
        expect(raw().pragma("auto_vacuum", {simple: true})).toBe(2);
        const long = "a long prompt about the clinic's opening hours and the nurse on duty. ".repeat(40);
        for (let i = 0; i < 1500; i++) add(`${i} ${long}`, {bytes: 10});
        const fileBytes = () => fs.statSync(store.dbPath).size;
        const logBytes = () => (fs.existsSync(`${store.dbPath}-wal`) ? fs.statSync(`${store.dbPath}-wal`).size : 0);
        raw().pragma("wal_checkpoint(TRUNCATE)");
        const full = fileBytes();
        expect(full).toBeGreaterThan(4 << 20);
        expect(store.evictToBudget(100).length).toBe(1490);
        store.reclaimSpace();
        expect(fileBytes(), "the index file after evicting 99% of its prompts").toBeLessThan(full / 4);
        expect(logBytes(), "the write-ahead log").toBe(0);
    });

    it("rebuilds an index made without auto-vacuum once a quarter of it is free pages, and keeps what it holds", () => {
        store.close();
        fs.rmSync(dir, {recursive: true, force: true});
        fs.mkdirSync(dir);
        // As an earlier version made it: no auto-vacuum, then most of it deleted.
        const old = new Database(path.join(dir, "kvshare-cache.db"));
        old.pragma("journal_mode = WAL");
        old.exec(
            "CREATE TABLE filler (x BLOB); INSERT INTO filler SELECT zeroblob(4000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i FROM n);"
        );
        old.exec("DELETE FROM filler WHERE rowid > 10; PRAGMA wal_checkpoint(TRUNCATE);");
        expect(old.pragma("auto_vacuum", {simple: true})).toBe(0);
        const before = fs.statSync(path.join(dir, "kvshare-cache.db")).size;
        old.close();
        store = open();
        const db = (store as unknown as {db: Database.Database}).db;
        expect(db.pragma("auto_vacuum", {simple: true})).toBe(2);
        expect((db.prepare("SELECT COUNT(*) AS n FROM filler").get() as {n: number}).n).toBe(10);
        expect(fs.statSync(store.dbPath).size).toBeLessThan(before / 10);
        expect(add("still works").id).toBeGreaterThan(0);
    });

    it("reads the search index in ahead of the first search, a batch at a time with the event loop free in between", async () => {
        store.close();
        store = open(embedder, {exactSearchLimit: 10});
        const texts = tinyStories().slice(0, 1500);
        for (const text of texts) add(text);
        store.close();
        store = open(embedder, {exactSearchLimit: 10});
        const mirror = (store as unknown as {mirror: {indexes: Map<string, {count: number}>}}).mirror;
        expect(mirror.indexes.get(MODEL_A)).toBeUndefined();
        let turns = 0;
        let spinning = true;
        const spin = (): void => {
            turns++;
            if (spinning) setImmediate(spin);
        };
        setImmediate(spin);
        await store.warmIndex(MODEL_A);
        spinning = false;
        expect(mirror.indexes.get(MODEL_A)?.count).toBe(texts.length);
        // 1,500 entries in batches: other work ran between them.
        expect(turns).toBeGreaterThanOrEqual(2);
        // The index answers as a search reading it in would.
        const probe = embedder.embedOne(texts[42]!);
        expect(store.nearest(MODEL_A, ["global"], probe, 1, 0)[0]?.entry.promptText).toBe(texts[42]);
    });

    it("consistencyPass drops rows without files and deletes unreferenced old files", () => {
        const kept = add("kept entry");
        const lost = add("entry whose file vanished");
        fs.rmSync(path.join(dir, lost.snapshotFile));
        const orphanOld = path.join(dir, "snapshots", "sub", "orphan-old.kvsnap");
        const orphanNew = path.join(dir, "snapshots", "orphan-being-written.kvsnap");
        fs.mkdirSync(path.dirname(orphanOld), {recursive: true});
        fs.writeFileSync(orphanOld, "x");
        fs.writeFileSync(orphanNew, "x");
        const past = new Date(Date.now() - 3_600_000);
        fs.utimesSync(orphanOld, past, past);
        fs.writeFileSync(path.join(dir, "not-a-snapshot.txt"), "outside snapshots/, never touched");

        const report = store.consistencyPass();
        expect(report.removedEntries.map((e) => e.id)).toEqual([lost.id]);
        expect(report.deletedFiles).toEqual(["snapshots/sub/orphan-old.kvsnap"]);
        expect(fs.existsSync(orphanNew)).toBe(true); // within the grace period
        expect(fs.existsSync(path.join(dir, kept.snapshotFile))).toBe(true);
        expect(fs.existsSync(path.join(dir, "not-a-snapshot.txt"))).toBe(true);
        expect(store.get(kept.id)).toBeDefined();
        expect(store.consistencyPass({graceMs: 0}).deletedFiles).toEqual(["snapshots/orphan-being-written.kvsnap"]);
    });

    it("survives close and reopen: rows, vectors, counters", () => {
        const text = "Once upon a time, there was a little boy named Ben who loved boats.";
        const e = add(text, {scope: "group:ward-3"});
        store.touch(e.id);
        store.close();
        store = open();
        expect(store.vectorIndexState).toBe("kept");
        expect(store.get(e.id)).toMatchObject({promptText: text, hitCount: 1, scope: "group:ward-3"});
        const hits = store.nearest(MODEL_A, ["group:ward-3"], embedder.embedOne(text.replace("Ben", "Sam")), 1, 0.5);
        expect(hits[0]?.entry.id).toBe(e.id);
        expect(store.findExact(MODEL_A, ["group:ward-3"], e.tokenHash)?.id).toBe(e.id);
    });

    it("an embedder change rebuilds the vector index instead of mixing vectors", async () => {
        const texts = ["A story about a red ball in the park.", "A story about a blue boat on the lake."];
        const ids = texts.map((t) => add(t).id);
        store.close();

        const small = new LexicalEmbedder({dimensions: 64});
        store = open(small);
        expect(store.vectorIndexState).toBe("rebuilt");
        expect(store.count()).toBe(2); // entries (and snapshots) stay: exact hits still work
        expect(store.nearest(MODEL_A, ["global"], small.embedOne(texts[0]!), 5, -1)).toEqual([]);
        const pending = store.entriesWithoutEmbedding();
        expect(pending.map((p) => p.id)).toEqual(ids);
        const vectors = await small.embed(pending.map((p) => p.promptText));
        pending.forEach((p, i) => store.setEmbedding(p.id, vectors[i]!));
        expect(store.entriesWithoutEmbedding()).toEqual([]);
        expect(store.nearest(MODEL_A, ["global"], small.embedOne(texts[1]!), 1, 0.5)[0]?.entry.id).toBe(ids[1]);
        expect(store.get(ids[0]!)?.embedderId).toBe("lexical-v3-64");
        store.close();

        store = open(small);
        expect(store.vectorIndexState).toBe("kept");
    });

    it("upgrades a version-1 vector index in place: every entry findable at once, none re-embedded", () => {
        const stories = tinyStories().slice(0, 12);
        const added = stories.map((s, i) => add(s, {scope: i % 2 === 0 ? "global" : "user:alice", modelFingerprint: i % 3 === 0 ? MODEL_B : MODEL_A}));
        store.close();
        // What version 1 wrote: the vectors in one FLOAT column, nothing else.
        const raw = new Database(path.join(dir, "kvshare-cache.db"));
        sqliteVec.load(raw);
        raw.exec("DROP TABLE vec_entries");
        raw.exec("CREATE VIRTUAL TABLE vec_entries USING vec0(model_fingerprint TEXT PARTITION KEY, scope TEXT, embedding FLOAT[384] distance_metric=cosine)");
        const insert = raw.prepare("INSERT INTO vec_entries (rowid, model_fingerprint, scope, embedding) VALUES (?, ?, ?, ?)");
        for (const e of added) {
            const v = embedder.embedOne(e.promptText);
            insert.run(BigInt(e.id), e.modelFingerprint, e.scope, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        }
        // …and no senders' column (version 3 added it).
        raw.exec("DROP INDEX entries_owner; ALTER TABLE entries DROP COLUMN owner");
        // …and its indexes of last use (version 4 put the sizes beside it, and beside the scope).
        raw.exec("DROP INDEX entries_last_used_bytes; DROP INDEX entries_scope_bytes; CREATE INDEX entries_last_used ON entries (last_used_at)");
        raw.pragma("user_version = 1");
        raw.close();

        for (const exactSearchLimit of [undefined, 0]) {
            store = open(embedder, {exactSearchLimit});
            expect(store.vectorIndexState).toBe("kept");
            expect(store.entriesWithoutEmbedding()).toEqual([]);
            for (const e of added) {
                const [hit, ...rest] = store.nearest(e.modelFingerprint, [e.scope], embedder.embedOne(e.promptText), 12, -1);
                expect(hit?.entry.id).toBe(e.id);
                expect(hit?.similarity).toBeCloseTo(1, 5);
                // Model and scope came along: only that model's entries of that scope are candidates.
                expect(rest.every((h) => h.entry.modelFingerprint === e.modelFingerprint && h.entry.scope === e.scope)).toBe(true);
                expect(rest).toHaveLength(added.filter((o) => o.modelFingerprint === e.modelFingerprint && o.scope === e.scope).length - 1);
            }
            store.close();
        }
        const check = new Database(path.join(dir, "kvshare-cache.db"), {readonly: true});
        expect(check.pragma("user_version", {simple: true})).toBe(SCHEMA_VERSION);
        check.close();
        store = open();
    });

    it("refuses a database from a newer schema version", () => {
        store.close();
        const raw = new Database(path.join(dir, "kvshare-cache.db"));
        raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
        raw.close();
        expect(() => open()).toThrow(/newer/);
    });

    it("lists cached prompts for the admin, most recently used first, by scope and by a piece of their text, a page at a time", () => {
        const notes = ["Patient Ann: 100% sure_of it", "Patient Bob has a cough", "Lesson plan for class 7", "Patient Cy: fever"];
        const added = notes.map((text, i) => {
            clock += 1000;
            return add(text, {scope: i === 2 ? "group:teachers" : "group:ward", owner: `nurse-${i}`});
        });
        const all = store.browse({offset: 0, limit: 10});
        expect(all.total).toBe(4);
        expect(all.entries.map((e) => e.id)).toEqual([...added].reverse().map((e) => e.id));
        expect(all.entries[0]).toMatchObject({scope: "group:ward", owner: "nurse-3", preview: notes[3], promptCharacters: notes[3]!.length});
        expect(store.browse({scope: "group:teachers", offset: 0, limit: 10}).entries.map((e) => e.preview)).toEqual([notes[2]]);
        // Matched as text: LIKE's wildcards in what is searched for are taken literally.
        expect(store.browse({text: "patient", offset: 0, limit: 10}).total).toBe(3);
        expect(store.browse({text: "100% sure_of", offset: 0, limit: 10}).entries.map((e) => e.id)).toEqual([added[0]!.id]);
        expect(store.browse({text: "0%_s", offset: 0, limit: 10}).total).toBe(0);
        const page = store.browse({scope: "group:ward", offset: 1, limit: 1});
        expect(page).toMatchObject({total: 3, entries: [{id: added[1]!.id}]});
        // A long prompt is previewed, not sent whole.
        const long = add("x".repeat(5000));
        expect(store.browse({offset: 0, limit: 1}).entries[0]).toMatchObject({id: long.id, promptCharacters: 5000});
        expect(store.browse({offset: 0, limit: 1}).entries[0]!.preview.length).toBe(300);
    });

    it("purges one entry leaving its text in neither the index nor its write-ahead log", () => {
        const secret = add("Confidential: patient Dee tested positive");
        const kept = add("A story about a cat");
        expect(store.purge(secret.id)?.id).toBe(secret.id);
        expect(store.get(secret.id)).toBeUndefined();
        expect(store.get(kept.id)).toBeDefined();
        expect(fs.existsSync(path.join(dir, secret.snapshotFile))).toBe(false);
        for (const file of ["kvshare-cache.db", "kvshare-cache.db-wal"]) {
            const bytes = fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file)) : Buffer.alloc(0);
            expect(bytes.includes("tested positive"), file).toBe(false);
        }
        expect(store.purge(secret.id)).toBeUndefined();
    });

    describe("a damaged index", () => {
        /** sqlite-vec's table of the vectors themselves, which every exact search reads. */
        const VECTOR_CHUNKS = "vec_entries_vector_chunks00";
        const stories = tinyStories().slice(0, 5);
        const knn = (db: Database.Database) =>
            db
                .prepare("SELECT rowid FROM vec_entries WHERE embedding MATCH ? AND k = 3 AND model_fingerprint = ? AND scope IN ('global')")
                .all(Buffer.from(embedder.embedOne(stories[0]!).buffer), MODEL_A);

        it("is refused at open when a page of its vector table is damaged, as a damaged database", () => {
            for (const story of stories) add(story);
            store.close();
            damageRootPage(store.dbPath, VECTOR_CHUNKS);
            // What the damage does unchecked: the file opens, and every search fails with a plain error.
            const raw = new Database(store.dbPath);
            sqliteVec.load(raw);
            expect(() => knn(raw)).toThrow(expect.objectContaining({code: "SQLITE_ERROR", message: "could not open vectors blob for chunk 1"}));
            raw.close();

            let refusal: unknown;
            try {
                store = open();
            } catch (error) {
                refusal = error;
            }
            expect(isDamagedDatabase(refusal)).toBe(true);
            expect((refusal as Error).message).toMatch(/^quick check: .*btreeInitPage\(\) returns error code 11/);
        });

        it("a lookup that meets damage while open finds nothing, says so once, and marks the file to be set aside", () => {
            const entries = stories.map((story) => add(story));
            store.close();
            const warnings: string[] = [];
            store = open(embedder, {warn: (message) => warnings.push(message)});
            expect(store.nearest(MODEL_A, ["global"], embedder.embedOne(stories[0]!), 3, 0)).toHaveLength(3);
            damageRootPage(store.dbPath, VECTOR_CHUNKS);
            // Another connection's commit makes the store read the file again rather than the pages it holds.
            const other = new Database(store.dbPath);
            other.prepare("INSERT INTO meta (key, value) VALUES ('touched', 'yes')").run();
            other.close();

            for (let request = 0; request < 3; request++) {
                expect(store.nearest(MODEL_A, ["global"], embedder.embedOne(stories[request]!), 3, 0)).toEqual([]);
                expect(store.findExact(MODEL_A, ["global"], entries[request]!.tokenHash)).toBeUndefined();
                expect(store.get(entries[request]!.id)).toBeUndefined();
            }
            expect(store.damaged).toBe(true);
            expect(warnings).toEqual([
                `${store.dbPath} is damaged (could not open vectors blob for chunk 1): requests are served without sharing, and it is set aside for a new one at its next open`
            ]);
            expect(fs.readFileSync(`${store.dbPath}.damaged`, "utf8")).toBe("could not open vectors blob for chunk 1 (found while serving)");
            // A caller's mistake is still an error, not damage.
            expect(() => store.nearest(MODEL_A, ["global"], new Float32Array(3), 3, 0)).toThrow(RangeError);
        });
    });
});
