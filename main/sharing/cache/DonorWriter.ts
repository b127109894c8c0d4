/**
 * Storing captured KV as a donor of the donor cache: the snapshot file, its index row, the memory tier's pinned
 * copy while the file is written, room on the disk, and the entry it supersedes.
 */
import {diskReserve, diskSpace} from "../../common/diskSpace.js";
import crypto from "node:crypto";
import fs from "node:fs";
import type {Token} from "node-llama-cpp";
import {buildSnapshotHeader, writeSnapshot, type CapturedState} from "../../kv/index.js";
import {hashTokens, snapshotAbsolutePath, SNAPSHOTS_SUBDIR, type CacheEntry, type CacheStore} from "../store/index.js";
import type {HotDonors} from "./HotDonors.js";
import {maxRememberedIds, type PurgeLedger} from "./PurgeLedger.js";
import type {SharedPrefixOptions} from "./sharedPrefixes.js";

/** What a donor is stored from: the served prompt, its scope and its embedding. */
export interface DonorPrompt {
    tokens: readonly Token[];
    text: string;
    scope: string;
    /** Embedded at admission; embedded here when admission did not (a replay, sharing just turned on). */
    embedding: Float32Array | null;
    /** Who sent it (the request's user), kept so that what one sender stored can be deleted wherever it is shared. */
    owner?: string;
    /** {@link DonorCache.epoch} when its request arrived: a cache cleared since then does not take it. */
    epoch?: number;
}

/** The donor cache's options storing reads (see `DonorCacheOptions`). */
export type DonorWriterOptions = Pick<SharedPrefixOptions, "embedder" | "log"> & {
    cacheDir: string;
    modelFingerprint: string;
    budgets(): {maxSnapshotBytes: number};
};

/** What storing a donor does through the donor cache that holds it. */
export interface DonorCacheHooks {
    /** A donor was indexed: admissions made against the cache before are stale. */
    indexed(): void;
    /** Removes one cached prompt (row, vector, file, memory tier); returns it, or undefined if it was gone. */
    remove(id: number): CacheEntry | undefined;
    /** Entries the index removed leave the memory tier, and admissions made before are stale. */
    forget(removed: CacheEntry[]): CacheEntry[];
    /** Evicts least recently used entries until the files fit `bytes`, in steps with requests served in between. */
    evictToBudget(bytes: number): Promise<CacheEntry[]>;
}

/** Stores the donors of one donor cache (see `DonorCache.add`). */
export class DonorWriter {
    /** Replaced entry id → the entry that replaced it. */
    private readonly successors = new Map<number, number>();

    public constructor(
        private readonly options: DonorWriterOptions,
        private readonly store: CacheStore,
        private readonly memory: HotDonors,
        private readonly purges: PurgeLedger,
        private readonly cache: DonorCacheHooks
    ) {}

    /** The entry that replaced `id` (see {@link add}), or the one that replaced that, and so on; `id` when none did. */
    public latest(id: number): number {
        let current = id;
        for (let next = this.successors.get(current); next != null; next = this.successors.get(current)) current = next;
        return current;
    }

    /** See `DonorCache.add`. */
    public async add(captured: CapturedState, prompt: DonorPrompt, replaces?: number): Promise<CacheEntry | undefined> {
        // Found damaged (and reported) by a lookup: it is set aside at the next start, and nothing is found in it until then.
        if (this.store.damaged) return undefined;
        if (replaces != null && this.purges.wasDeleted(replaces)) return undefined;
        const relative = `${SNAPSHOTS_SUBDIR}/${Date.now().toString(36)}-${crypto.randomBytes(6).toString("hex")}.kvsnap`;
        const {modelFingerprint} = this.options;
        let indexed: CacheEntry | undefined;
        try {
            const embedding = prompt.embedding ?? (await this.options.embedder.embed([prompt.text]))[0] ?? null;
            const header = buildSnapshotHeader({captured, modelFingerprint});
            const index = () => this.index(relative, header.tokens, header.payloadBytes, prompt, embedding);
            if (!(await this.roomOnDisk(header.payloadBytes))) return undefined;
            if (this.memory.putPinned(relative, {header, tokens: header.tokens, payload: captured.payload})) indexed = index();
            await writeSnapshot({captured, header, filePath: this.absolute(relative), modelFingerprint});
            this.memory.unpin(relative);
            if (indexed == null) indexed = index();
            // Evicted or cleared while the file was written: the file has no row to belong to.
            else if (this.store.get(indexed.id) == null) {
                fs.rmSync(this.absolute(relative), {force: true});
                return undefined;
            }
            if (replaces != null && replaces !== indexed.id && this.cache.remove(replaces) != null) {
                this.successors.set(replaces, indexed.id);
                // Bounded: only the quality monitor's pending checks look these up, and soon.
                if (this.successors.size > maxRememberedIds) this.successors.delete(this.successors.keys().next().value!);
            }
            const budget = this.options.budgets().maxSnapshotBytes;
            // A twentieth of the budget further each time: a cache at its budget is sorted for eviction once per
            // twentieth of it stored, not for every prompt.
            if (this.cache.forget(this.store.evictToBudget(budget, {slackBytes: Math.floor(budget / 20)})).length > 0) this.store.reclaimSpace();
            return this.store.get(indexed.id);
        } catch (error) {
            this.options.log.warn(`could not cache the prompt's KV: ${(error as Error).message}`);
            this.memory.delete(relative);
            try {
                if (indexed != null) this.cache.remove(indexed.id);
                fs.rmSync(this.absolute(relative), {force: true});
            } catch {
                // The folder itself may be what failed; nothing was written then.
            }
            return undefined;
        }
    }

    /**
     * Whether a snapshot of `bytes` fits on the disk with its reserve left free (see diskReserve), evicting the least
     * recently used entries to make room where that is enough: the byte budget alone (2 GiB by default) let the cache
     * fill a smaller disk, after which nothing could be saved, cleared or started.
     */
    private async roomOnDisk(bytes: number): Promise<boolean> {
        const disk = diskSpace(this.options.cacheDir);
        if (disk == null) return true;
        const short = bytes + diskReserve(disk.size) - disk.free;
        if (short <= 0) return true;
        // In steps with requests served between them, and able to delete on a disk that is full already. Only where
        // that is enough: a disk filled by something else would otherwise cost every scope its prompts for nothing.
        const held = this.store.totalBytes();
        if (held >= short) await this.cache.evictToBudget(held - short);
        // What the disk holds now decides (files still being written, other programs' files): two prompts stored at
        // once may both pass, and the reserve takes that.
        const after = diskSpace(this.options.cacheDir);
        const room = after == null || after.free >= bytes + diskReserve(after.size);
        if (!room) this.options.log.warn(`the disk holding the cache is nearly full (${after.free} bytes free): this prompt's KV is not cached`);
        return room;
    }

    private index(relative: string, tokens: readonly number[], bytes: number, prompt: DonorPrompt, embedding: Float32Array | null): CacheEntry {
        if (!this.purges.keeps(prompt)) throw new Error("its scope or sender was purged, or the cache cleared, while it was served");
        this.cache.indexed();
        return this.store.insert(
            {
                modelFingerprint: this.options.modelFingerprint,
                scope: prompt.scope,
                promptText: prompt.text,
                tokens,
                tokenHash: hashTokens(prompt.tokens),
                snapshotFile: relative,
                bytes,
                ...(prompt.owner == null ? {} : {owner: prompt.owner})
            },
            embedding
        );
    }

    private absolute(relative: string): string {
        return snapshotAbsolutePath(this.options.cacheDir, relative);
    }
}
