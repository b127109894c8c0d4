import type {KvSnapshot} from "../../kv/index.js";

/**
 * The memory tier of the KV cache: verified donor snapshots kept resident, least recently used first
 * out, within a byte budget. A hit skips the file read and checksum (about half of a restore on the
 * 0.5B bench). Keyed by snapshot file name, which is unique and never reused, so a stale tier entry can
 * never stand in for another prompt's KV.
 */
export class HotDonors {
    private readonly entries = new Map<string, KvSnapshot>();
    /** Snapshots indexed before their file is written: the tier is their only copy until then. */
    private readonly pinned = new Set<string>();
    private bytes = 0;

    public constructor(private readonly budget: () => number) {}

    public get size(): number {
        return this.entries.size;
    }

    public get totalBytes(): number {
        return this.bytes;
    }

    public get(file: string): KvSnapshot | undefined {
        const snapshot = this.entries.get(file);
        if (snapshot == null) return undefined;
        // Map order is insertion order: re-inserting marks it most recently used.
        this.entries.delete(file);
        this.entries.set(file, snapshot);
        return snapshot;
    }

    /** Whether `file` is resident. */
    public has(file: string): boolean {
        return this.entries.has(file);
    }

    /**
     * Keeps a snapshot resident until {@link unpin}, whatever the budget (its file is being written);
     * false when it alone exceeds the budget (then it is not kept).
     */
    public putPinned(file: string, snapshot: KvSnapshot): boolean {
        if (snapshot.payload.length > this.budget()) return false;
        this.put(file, snapshot);
        if (!this.entries.has(file)) return false;
        this.pinned.add(file);
        return true;
    }

    /** The file is on disk now: the snapshot is an ordinary, evictable tier entry again. */
    public unpin(file: string): void {
        this.pinned.delete(file);
        this.trim();
    }

    public put(file: string, snapshot: KvSnapshot): void {
        this.delete(file);
        if (snapshot.payload.length <= this.budget()) {
            this.entries.set(file, snapshot);
            this.bytes += snapshot.payload.length;
        }
        // The budget is a live setting: a lowered one takes effect at the next put.
        this.trim();
    }

    public delete(file: string): void {
        this.pinned.delete(file);
        const old = this.entries.get(file);
        if (old == null) return;
        this.entries.delete(file);
        this.bytes -= old.payload.length;
    }

    /** Drops every snapshot but those whose file is still being written (their entries are indexed). */
    public clear(): void {
        for (const [file, snapshot] of this.entries) {
            if (this.pinned.has(file)) continue;
            this.entries.delete(file);
            this.bytes -= snapshot.payload.length;
        }
    }

    /** Drops least recently used snapshots until the tier fits its budget. */
    public trim(): void {
        const budget = this.budget();
        for (const [file, snapshot] of this.entries) {
            if (this.bytes <= budget) break;
            if (this.pinned.has(file)) continue;
            this.entries.delete(file);
            this.bytes -= snapshot.payload.length;
        }
    }
}
