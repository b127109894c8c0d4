/**
 * The donor cache on a small real disk (a tmpfs; root only, skipped elsewhere): it leaves its reserve free, evicting
 * older prompts to make room, and a cache on a disk that filled up anyway can still be cleared.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, type LlamaContext, type LlamaModel} from "node-llama-cpp";
import type {Logger} from "../../common/log.js";
import {diskReserve, diskSpace} from "../../common/diskSpace.js";
import {LexicalEmbedder} from "../embed/index.js";
import {DonorCache} from "./DonorCache.js";
import {CACHE_DB_FILE} from "../store/index.js";
import {captureForSnapshot} from "../../kv/index.js";
import {STORIES_260K, tinyStories} from "../../../test/support/testData.js";
import {fillDisk, freeDisk, mountTmpfs, unmountTmpfs} from "../../../test/support/tmpfs.js";

const disk = mountTmpfs("32m");

describe.runIf(disk != null)("the donor cache on a small disk (a 32 MiB tmpfs)", () => {
    let model: LlamaModel;
    let context: LlamaContext;
    let cache: DonorCache;
    let warnings: string[];
    const embedder = new LexicalEmbedder();
    const stories = tinyStories().slice(0, 40);
    const log: Logger = {info: () => undefined, warn: (message) => warnings.push(message), error: (message) => warnings.push(message)};
    const cacheDir = () => path.join(disk!, "cache");
    const free = () => diskSpace(disk!)!.free;
    const reserve = () => diskReserve(diskSpace(disk!)!.size);

    /** Serves `text` into a sequence and offers its KV to the cache, as a request does after its answer. */
    const store = async (text: string) => {
        const sequence = context.getSequence();
        try {
            const tokens = model.tokenize(text);
            await sequence.evaluateWithoutGeneratingNewTokens(tokens);
            const added = await cache.add(await captureForSnapshot(sequence), {tokens, text, scope: "global", embedding: null});
            return added;
        } finally {
            sequence.dispose();
        }
    };

    beforeAll(async () => {
        const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
        model = await llama.loadModel({modelPath: STORIES_260K});
        context = await model.createContext({contextSize: 512, sequences: 1, threads: 1});
    });
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
        unmountTmpfs(disk!);
    });
    // Closed before the disk is unmounted, whatever a test did.
    afterEach(() => cache.close());
    beforeEach(() => {
        freeDisk(disk!);
        fs.rmSync(cacheDir(), {recursive: true, force: true});
        fs.mkdirSync(path.join(cacheDir(), "snapshots"), {recursive: true});
        warnings = [];
        cache = DonorCache.open({
            cacheDir: cacheDir(),
            embedder,
            modelFingerprint: "sha256:stories260K",
            context,
            log,
            // The byte budget far above the disk: only the disk's room limits the cache.
            budgets: () => ({maxSnapshotBytes: 1e12, maxMemoryBytes: 0}),
            sharedPrefixSettings: () => ({texts: [], minRunLength: 8}),
            sharedPrefixForms: (text) => [model.tokenize(text)]
        });
    });

    it("leaves its reserve free: the oldest prompts make room for a new one, and with no room it caches nothing", async () => {
        const first = await store(stories[0]!);
        expect(first).toBeDefined();
        // The disk nearly full of something else: room for the reserve and half a snapshot.
        fillDisk(disk!, reserve() + Math.floor(first!.bytes / 2));
        const next = await store(stories[1]!);
        expect(next).toBeDefined();
        expect(cache.get(first!.id)).toBeUndefined();
        expect(free()).toBeGreaterThanOrEqual(reserve() - 64 * 1024);
        expect(warnings).toEqual([]);
        // Short of more than the cache holds: evicting would not make room, so nothing is evicted.
        freeDisk(disk!);
        fillDisk(disk!, reserve() - 2 * next!.bytes);
        expect(await store(stories[2]!)).toBeUndefined();
        expect(cache.get(next!.id)).toBeDefined();
        expect(warnings.at(-1)).toMatch(/the disk holding the cache is nearly full .*: this prompt's KV is not cached/);
        // Nothing of the cache's left to evict, and no room: the prompt is not cached, and nothing fails.
        cache.clear();
        freeDisk(disk!);
        fillDisk(disk!, reserve());
        expect(await store(stories[2]!)).toBeUndefined();
        expect(warnings.at(-1)).toMatch(/the disk holding the cache is nearly full .*: this prompt's KV is not cached/);
    });

    it("is cleared on a disk that filled up anyway: its files go first, making room for the index's own writes", async () => {
        // Some 3 MiB of snapshots: deleting a vector rewrites its 1.5 MiB chunk in the index's log, which their files make room for.
        for (const story of stories) expect(await store(story)).toBeDefined();
        // Its log folded in and emptied (as after an eviction): the deletion has to grow it again.
        const other = new Database(path.join(cacheDir(), CACHE_DB_FILE));
        other.pragma("wal_checkpoint(TRUNCATE)");
        other.close();
        fillDisk(disk!);
        expect(free()).toBeLessThan(4096);
        expect(cache.clear().removedEntries).toBe(stories.length);
        expect(cache.count()).toBe(0);
        expect(fs.readdirSync(path.join(cacheDir(), "snapshots"))).toEqual([]);
    });
});
