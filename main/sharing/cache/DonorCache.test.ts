/**
 * The donor cache's index on real files (SQLite + sqlite-vec, the stories260K model's context): a damaged
 * index is set aside and a new one started, whether the damage is found at open or while serving, and
 * clearing the cache leaves the prompts' text in neither the index nor its write-ahead log.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, type LlamaContext, type LlamaModel} from "node-llama-cpp";
import type {Logger} from "../../common/log.js";
import {damageRootPage} from "../../common/__tests__/damagePage.js";
import {LexicalEmbedder} from "../embed/index.js";
import {CACHE_DB_FILE, CacheStore} from "../store/index.js";
import {DonorCache} from "./DonorCache.js";
import {captureForSnapshot} from "../../kv/index.js";
import {STORIES_260K, tinyStories} from "../../../test/support/testData.js";

describe("DonorCache's index", () => {
    let model: LlamaModel;
    let context: LlamaContext;
    let cacheDir: string;
    let warnings: string[];
    let cache: DonorCache | undefined;
    const embedder = new LexicalEmbedder();
    const MODEL = "sha256:stories260K";
    /** A word in every seeded prompt, found nowhere else: where it is, their text is. */
    const MARKER = "Zorblaxquint";
    const stories = tinyStories()
        .slice(0, 6)
        .map((story) => `${MARKER} ${story} ${MARKER}`);
    const log: Logger = {info: () => undefined, warn: (message) => warnings.push(message), error: (message) => warnings.push(message)};
    const indexFile = () => path.join(cacheDir, CACHE_DB_FILE);
    const keptAside = () => fs.readdirSync(cacheDir).filter((name) => name.startsWith(`${CACHE_DB_FILE}.damaged-`) && !/-(wal|shm)$/.test(name));

    const openCache = (): DonorCache =>
        (cache = DonorCache.open({
            cacheDir,
            embedder,
            modelFingerprint: MODEL,
            context,
            log,
            budgets: () => ({maxSnapshotBytes: 1e9, maxMemoryBytes: 1e9}),
            sharedPrefixSettings: () => ({texts: [], minRunLength: 8}),
            sharedPrefixForms: (text) => [model.tokenize(text)]
        }));

    /** Rows with snapshot files, as served requests leave them, written through `store` (left open). */
    const seed = (store: CacheStore): void => {
        stories.forEach((text, i) => {
            const file = `snapshots/${i}.kvsnap`;
            fs.writeFileSync(path.join(cacheDir, file), "kv");
            store.insert(
                {modelFingerprint: MODEL, scope: "global", promptText: text, tokens: model.tokenize(text), snapshotFile: file, bytes: 2},
                embedder.embedOne(text)
            );
        });
    };
    const seedClosed = (): void => {
        const store = CacheStore.open({cacheDir, embedder});
        seed(store);
        store.close();
    };
    const lookUp = (text: string) => ({
        nearest: cache!.nearest(["global"], embedder.embedOne(text), 3),
        exact: cache!.findExact(["global"], model.tokenize(text))
    });

    beforeAll(async () => {
        const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
        model = await llama.loadModel({modelPath: STORIES_260K});
        context = await model.createContext({contextSize: 256, sequences: 1, threads: 1});
    });
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
    });
    beforeEach(() => {
        cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-donorcache-"));
        fs.mkdirSync(path.join(cacheDir, "snapshots"));
        warnings = [];
    });
    afterEach(() => {
        cache?.close();
        cache = undefined;
        fs.rmSync(cacheDir, {recursive: true, force: true});
    });

    it("sets an index with a damaged vector page aside at open and starts a new one", () => {
        seedClosed();
        damageRootPage(indexFile(), "vec_entries_vector_chunks00");
        openCache();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(
            /kvshare-cache\.db is damaged \(quick check: .*btreeInitPage\(\) returns error code 11\): kept as .*kvshare-cache\.db\.damaged-.*, and a new one started; the cache starts empty/
        );
        expect(keptAside()).toHaveLength(1);
        expect(cache!.count()).toBe(0);
        expect(lookUp(stories[0]!)).toEqual({nearest: [], exact: undefined});
    });

    it("serves lookups that meet damage while open with nothing, says so once, and sets the index aside at the next open", () => {
        seedClosed();
        openCache();
        expect(lookUp(stories[0]!).nearest).toHaveLength(3);
        damageRootPage(indexFile(), "vec_entries_vector_chunks00");
        // Another connection's commit makes the cache read the file again rather than the pages it holds.
        const other = new Database(indexFile());
        other.prepare("INSERT INTO meta (key, value) VALUES ('touched', 'yes')").run();
        other.close();

        // Every request's lookups: nothing found (each is served by a full prefill), nothing thrown.
        for (const story of stories) expect(lookUp(story)).toEqual({nearest: [], exact: undefined});
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/kvshare-cache\.db is damaged \(could not open vectors blob for chunk 1\): requests are served without sharing/);

        cache!.close();
        openCache();
        expect(warnings).toHaveLength(2);
        expect(warnings[1]).toMatch(/kvshare-cache\.db is damaged \(could not open vectors blob for chunk 1 \(found while serving\)\): kept as .*\.damaged-/);
        expect(keptAside()).toHaveLength(1);
        expect(cache!.count()).toBe(0);
        expect(lookUp(stories[0]!)).toEqual({nearest: [], exact: undefined});
    });

    it("does not store again a prompt deleted while its request was still answering (its better copy, after the decode stage)", async () => {
        cache = openCache();
        const sequence = context.getSequence();
        try {
            const tokens = model.tokenize(stories[0]!);
            await sequence.evaluateWithoutGeneratingNewTokens(tokens);
            const prompt = {tokens, text: stories[0]!, scope: "global", embedding: null};
            // Stored at the end of its prefill (others waited for it), then deleted by the admin.
            const early = await cache.add(await captureForSnapshot(sequence), prompt);
            expect(early).toBeDefined();
            expect(cache.purgeEntry(early!.id)?.id).toBe(early!.id);
            // Its answer done, the request offers the copy its decode stage fixed, in the deleted entry's place: refused.
            expect(await cache.add(await captureForSnapshot(sequence), prompt, early!.id)).toBeUndefined();
            expect(cache.browse({offset: 0, limit: 10}).total).toBe(0);
            // The same prompt asked again later is cached like any other.
            expect(await cache.add(await captureForSnapshot(sequence), prompt)).toBeDefined();
        } finally {
            sequence.dispose();
        }
    });

    it("clearing leaves the cleared prompts' text in neither the index nor its write-ahead log", () => {
        // Stored while the server runs: the rows are in the log, not yet folded into the index.
        openCache();
        const store = CacheStore.open({cacheDir, embedder});
        seed(store);
        const holding = () => ["", "-wal"].filter((suffix) => fs.existsSync(indexFile() + suffix) && fs.readFileSync(indexFile() + suffix).includes(MARKER));
        expect(holding()).toEqual(["-wal"]);
        expect(cache!.clear()).toEqual({removedEntries: stories.length, freedBytes: 2 * stories.length});
        expect(holding()).toEqual([]);
        expect(cache!.count()).toBe(0);
        store.close();
    });
});
