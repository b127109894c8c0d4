import crypto from "node:crypto";
import path from "node:path";
import type {LlamaContext, Token} from "node-llama-cpp";
import {openSettingDamagedAside} from "../../common/damagedDatabase.js";
import {mkdirOwnerOnly} from "../../config/ownerOnly.js";
import {readSnapshot, SnapshotRefusedError, type CapturedState, type KvSnapshot} from "../../kv/index.js";
import {
    CACHE_DB_FILE,
    CacheStore,
    hashTokens,
    snapshotAbsolutePath,
    type CacheEntry,
    type CacheEntryPage,
    type CacheEntryQuery,
    type NearestEntry
} from "../store/index.js";
import {sharedScope} from "../engine/scopes.js";
import {HotDonors} from "./HotDonors.js";
import {SharedPrefixEntryError, syncSharedPrefixes, type SharedPrefixEntry, type SharedPrefixOptions} from "./sharedPrefixes.js";
import {PurgeLedger, type KeptPrompt} from "./PurgeLedger.js";
import {reembedEntries} from "./reembed.js";
import {DonorWriter, type DonorPrompt} from "./DonorWriter.js";

/** Entries evicted per step when the admin lowers the budget: each step is a few tens of ms, requests run between them. */
const evictionStep = 64;

/** A donor's KV ready to be edited into a sequence, or why it cannot be. */
export type LoadedDonor = {snapshot: KvSnapshot; tier: "memory" | "disk"} | {refused: string};

export {SharedPrefixEntryError, type DonorPrompt, type SharedPrefixEntry};

export interface DonorCacheOptions extends SharedPrefixOptions {
    cacheDir: string;
    modelFingerprint: string;
    /** The context donors are loaded into (a snapshot must match its KV layout). */
    context: LlamaContext;
    /** Byte budgets, read live: `maxSnapshotBytes` (disk) and `maxMemoryBytes` (memory tier). */
    budgets(): {maxSnapshotBytes: number; maxMemoryBytes: number};
    /** Another model goes on serving from the same index while this one loads: spare its fresh rows. */
    anotherModelServes?: boolean;
}

/** Files above this size are fingerprinted by their GGUF metadata and tensor table, not a full hash. */
export const fullHashLimitBytes = 256 * 1024 ** 2;

export function cacheDirOf(dataDir: string): string {
    return path.join(dataDir, "cache");
}

/**
 * The donor cache of one loaded model: the index (SQLite + sqlite-vec), the snapshot files, the memory
 * tier, eviction to the byte budgets, the admin-marked shared prefixes, and what happens to a snapshot
 * that fails verification (its entry is dropped, never loaded). Every change to cached KV goes
 * through here, so the index, the files and the memory tier never disagree.
 */
export class DonorCache {
    /** What was purged while this cache is open: nothing of it is stored again. */
    private readonly purges = new PurgeLedger();
    /** Keys the opaque donor ids shown to issued keys. */
    private readonly idSecret = crypto.randomBytes(32);
    private sharedPrefixEntries: SharedPrefixEntry[] = [];
    /** Verified snapshots kept resident (the memory tier). */
    private readonly memory: HotDonors;
    /** Stores captured KV as donors (see {@link add}). */
    private readonly writer: DonorWriter;
    private changes = 0;

    private constructor(
        private readonly options: DonorCacheOptions,
        private readonly store: CacheStore
    ) {
        this.memory = new HotDonors(() => options.budgets().maxMemoryBytes);
        this.writer = new DonorWriter(options, store, this.memory, this.purges, {
            indexed: () => void this.changes++,
            remove: (id) => this.remove(id),
            forget: (removed) => this.forget(removed),
            evictToBudget: (bytes) => this.evictToBudget(bytes)
        });
    }

    /**
     * Opens the index, runs the start-up consistency pass (rows without files, files without rows) and,
     * after an embedder change, re-embeds the cached prompts in the background.
     */
    public static open(options: DonorCacheOptions): DonorCache {
        mkdirOwnerOnly(options.cacheDir);
        const warn = (message: string): void => options.log.warn(message);
        const store = openSettingDamagedAside(
            path.join(options.cacheDir, CACHE_DB_FILE),
            () => CacheStore.open({cacheDir: options.cacheDir, embedder: options.embedder, warn}),
            warn,
            "the cache starts empty (its snapshot files are deleted as orphans)"
        );
        if (store.vectorIndexState === "rebuilt") void reembedEntries(store, options.embedder, options.log);
        // Beside a model still serving (a switch), its fresh in-flight donors have no file yet: spare them.
        const {removedEntries, deletedFiles} = store.consistencyPass({rowGraceMs: options.anotherModelServes === true ? 60_000 : 0});
        if (removedEntries.length + deletedFiles.length > 0)
            options.log.warn(`cache consistency pass: dropped ${removedEntries.length} entries without files, deleted ${deletedFiles.length} orphan files`);
        void store.warmIndex(options.modelFingerprint).catch((error: unknown) => {
            // Closed meanwhile (a model switched away), or a damaged index the first search reports: the search fills it.
            if (!/closed|not open/i.test((error as Error).message))
                options.log.warn(`could not read the cache's search index ahead: ${(error as Error).message}`);
        });
        return new DonorCache(options, store);
    }

    /** Changes each time a donor is stored or removed: an admission made against another version is stale. */
    public get version(): number {
        return this.changes;
    }

    public get modelFingerprint(): string {
        return this.options.modelFingerprint;
    }

    // --- lookup (admission)

    /** The entry caching exactly these tokens in one of `scopes`. */
    public findExact(scopes: readonly string[], tokens: readonly Token[]): CacheEntry | undefined {
        return this.store.findExact(this.options.modelFingerprint, scopes, hashTokens(tokens));
    }

    /** The `k` cached prompts of `scopes` nearest to `embedding`, whatever their similarity. */
    public nearest(scopes: readonly string[], embedding: Float32Array, k: number): NearestEntry[] {
        return this.store.nearest(this.options.modelFingerprint, scopes, embedding, k, 0);
    }

    /** The admin-marked shared prefixes (see {@link refreshSharedPrefixes}). */
    public get sharedPrefixes(): readonly SharedPrefixEntry[] {
        return this.sharedPrefixEntries;
    }

    /**
     * The entry `id`, or the one that replaced it (see `add`): a request logged with a donor that was
     * replaced since is checked against its successor, the same prompt's KV.
     */
    public get(id: number): CacheEntry | undefined {
        return this.store.get(this.writer.latest(id));
    }

    /** Whether a donor's KV is in the memory tier (no file read needed). */
    public inMemory(entry: CacheEntry): boolean {
        return this.memory.has(entry.snapshotFile);
    }

    // --- use (prepare)

    /**
     * A donor's verified KV: from the memory tier, or read and checked from its file (then kept in the
     * tier). A file that fails verification, or holds other tokens than its entry, drops the entry.
     */
    public async load(entry: CacheEntry): Promise<LoadedDonor> {
        const resident = this.memory.get(entry.snapshotFile);
        if (resident != null) return {snapshot: resident, tier: "memory"};
        let snapshot: KvSnapshot;
        try {
            snapshot = await readSnapshot(this.absolute(entry.snapshotFile), {modelFingerprint: this.options.modelFingerprint, context: this.options.context});
            if (!sameTokens(snapshot.tokens, entry.tokens))
                throw new SnapshotRefusedError("wrong-entry", `the file holds the KV of other tokens than cache entry ${entry.id}`, entry.snapshotFile);
        } catch (error) {
            if (!(error instanceof SnapshotRefusedError)) throw error;
            // Evicted (or cleared) since admission: a plain miss, not a damaged cache.
            if (this.store.get(entry.id) == null) return {refused: "the donor was evicted meanwhile"};
            try {
                if (this.remove(entry.id) != null) this.options.log.warn(`cache entry ${entry.id}: ${error.message}; entry dropped`);
            } catch (removal) {
                // The index cannot be written (a full disk): the refused KV is not used all the same.
                this.options.log.warn(`cache entry ${entry.id}: snapshot refused (${error.reason}), and could not be dropped: ${(removal as Error).message}`);
            }
            return {refused: `donor snapshot refused (${error.reason}); entry dropped`};
        }
        this.memory.put(entry.snapshotFile, snapshot);
        return {snapshot, tier: "disk"};
    }

    /**
     * Counts a use of the donor (least recently used entries are evicted first). Bookkeeping only: a write
     * that fails (a full disk) is logged and the request goes on.
     */
    public touch(id: number): void {
        try {
            this.store.touch(id);
        } catch (error) {
            this.options.log.warn(`could not record the use of cache entry ${id}: ${(error as Error).message}`);
        }
    }

    // --- store (capture)

    /**
     * Makes captured KV a donor. It is indexed at once, from memory (the memory tier holds it, pinned,
     * until its file is written): the next paraphrase often arrives the moment this answer does, and
     * must not miss it because a file is still being written. Too large for the memory tier, it is
     * indexed once on disk. A failed write takes the entry back out. Failures are logged, never
     * thrown: a full disk must not fail a request that was already answered.
     *
     * @param replaces an entry of the same prompt this one supersedes: removed once this one is on disk, as
     *   an eviction would (requests admitted, or admitted again, from then on find this one instead)
     * @returns the new entry, or undefined when it could not be kept
     */
    public async add(captured: CapturedState, prompt: DonorPrompt, replaces?: number): Promise<CacheEntry | undefined> {
        return this.writer.add(captured, prompt, replaces);
    }

    // --- shared prefixes

    /**
     * Makes the cache hold exactly the admin-marked shared prefixes: computes the KV of each marked
     * text alone and stores it in the shared scope; drops entries of texts no longer marked. Needs KV
     * editing (a prefix donor is reused through the edit path).
     */
    public async refreshSharedPrefixes(): Promise<void> {
        const {modelFingerprint} = this.options;
        this.sharedPrefixEntries = await syncSharedPrefixes(this.options, {
            entries: () => this.store.entriesInScope(modelFingerprint, sharedScope),
            erase: (id) => void this.erase(id),
            has: (tokens) => this.findExact([sharedScope], tokens) != null,
            add: async (captured, prompt) => void (await this.add(captured, prompt))
        });
    }

    // --- administration

    public count(): number {
        return this.store.count();
    }

    public totalBytes(): number {
        return this.store.totalBytes();
    }

    public scopeTotals(scope: string): {entries: number; bytes: number} {
        return this.store.scopeTotals(scope);
    }

    /** Removes one cached prompt (row, vector, file, memory tier); returns it, or undefined if it was gone. */
    public remove(id: number): CacheEntry | undefined {
        const removed = this.store.remove(id);
        if (removed != null) this.forget([removed]);
        return removed;
    }

    /** Bytes of KV resident in the memory tier. */
    public get memoryBytes(): number {
        return this.memory.totalBytes;
    }

    /** Empties the memory tier (snapshots whose file is still being written stay: they are indexed). */
    public dropMemoryTier(): void {
        this.memory.clear();
    }

    /** Makes the memory tier fit its budget now (it is read live, but otherwise only applied at the next put). */
    public trimMemoryTier(): void {
        this.memory.trim();
    }

    /**
     * Evicts least recently used entries (rows, files and memory tier) until the files fit `bytes`, a few hundred
     * at a time with requests served in between (a budget lowered by thousands of entries took seconds in one go).
     */
    public async evictToBudget(bytes: number): Promise<CacheEntry[]> {
        // Chosen once (a sort of the whole index), removed a step at a time: an entry used meanwhile goes all the same.
        const victims = this.store.evictionOrder(bytes);
        const removed: CacheEntry[] = [];
        try {
            for (let at = 0; at < victims.length; at += evictionStep) {
                if (at > 0) await new Promise((resolve) => setImmediate(resolve));
                removed.push(...this.forget(this.store.removeEntries(victims.slice(at, at + evictionStep))));
            }
            if (removed.length > 0) this.store.reclaimSpace();
        } catch (error) {
            // The store closed between steps (the model switched): the new one evicts to the budget as it stores.
            if (!/closed|not open/i.test((error as Error).message)) throw error;
        }
        return removed;
    }

    /**
     * Removes every cached prompt, as thoroughly as a purge (its text is left in neither the index nor its
     * write-ahead log); the admin-marked shared prefixes (configuration) are put back.
     */
    public clear(): {removedEntries: number; freedBytes: number} {
        this.purges.cleared();
        const removed = this.forget(this.store.clear());
        this.memory.clear();
        void this.refreshSharedPrefixes().catch((error: unknown) =>
            this.options.log.warn(`could not restore the shared prefixes: ${(error as Error).message}`)
        );
        return {removedEntries: removed.length, freedBytes: removed.reduce((sum, e) => sum + e.bytes, 0)};
    }

    /**
     * Deletes every cached prompt of a scope (a revoked key's) and keeps it empty: a request of that
     * scope still being served when the purge ran is not stored afterwards.
     * @returns how many entries were removed
     */
    public purgeScope(scope: string): number {
        this.purges.scopePurged(scope);
        return this.forget(this.store.removeScope(scope)).length;
    }

    /** Counts the clears: a request notes it on arrival, and what it served is not kept once the cache was cleared since. */
    public get epoch(): number {
        return this.purges.epoch;
    }

    /** Whether a request's prompt may be kept (see {@link PurgeLedger.keeps}). */
    public keeps(prompt: KeptPrompt): boolean {
        return this.purges.keeps(prompt);
    }

    /** A page of cached prompts for the admin's list (see `CacheStore.browse`). */
    public browse(query: CacheEntryQuery): CacheEntryPage {
        return this.store.browse(query);
    }

    /**
     * Deletes one cached prompt as thoroughly as a purge (its text is left in neither the index nor its
     * write-ahead log, its KV leaves the memory tier). An admin-marked shared prefix is configuration: it is
     * unmarked in the settings, not deleted here (it would be put back).
     * @returns the deleted entry, undefined when there is none with that id
     * @throws when the entry is a marked shared prefix
     */
    public purgeEntry(id: number): CacheEntry | undefined {
        if (this.store.get(id)?.scope === sharedScope) throw new SharedPrefixEntryError();
        const removed = this.erase(id);
        if (removed != null) this.purges.entryDeleted(id);
        return removed;
    }

    /**
     * Deletes every cached prompt one sender (a revoked key's user) stored, in whatever scope the policy put it
     * (the global scope holds everyone's), and stores none of theirs afterwards (a request still being served).
     * Prompts stored before senders were kept cannot be told apart and stay.
     * @returns how many entries were removed
     */
    public purgeOwner(owner: string): number {
        this.purges.ownerPurged(owner);
        return this.forget(this.store.removeOwner(owner)).length;
    }

    /** Deletes one entry leaving no trace of its text (index, write-ahead log, memory tier, file). */
    private erase(id: number): CacheEntry | undefined {
        const removed = this.store.purge(id);
        if (removed != null) this.forget([removed]);
        return removed;
    }

    /** Entries the index removed leave the memory tier, and admissions made before are stale. */
    private forget(removed: CacheEntry[]): CacheEntry[] {
        for (const entry of removed) this.memory.delete(entry.snapshotFile);
        if (removed.length > 0) this.changes++;
        return removed;
    }

    /** A stable per-process stand-in for an entry id that tells nothing about how many entries exist. */
    public publicDonorId(id: number): number {
        return crypto.createHmac("sha256", this.idSecret).update(String(id)).digest().readUInt32BE(0);
    }

    public close(): void {
        this.store.close();
    }

    private absolute(relative: string): string {
        return snapshotAbsolutePath(this.options.cacheDir, relative);
    }
}

function sameTokens(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
}
