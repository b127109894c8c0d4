/** What a request's prompt is checked against before anything of it is kept (see {@link PurgeLedger.keeps}). */
export interface KeptPrompt {
    scope: string;
    /** Who sent it, when known. */
    owner?: string;
    /** {@link PurgeLedger.epoch} when its request arrived. */
    epoch?: number;
}

/** Deleted entry ids remembered at most (oldest forgotten first): only requests running at the time could name one. */
export const maxRememberedIds = 1024;

/**
 * What the admin purged while the cache is open — scopes, senders, single entries, whole-cache clears — so that
 * a request served across a purge keeps nothing behind: it was answered, as it should be, but its KV is neither
 * stored nor left in its sequence for the next request.
 */
export class PurgeLedger {
    private readonly scopes = new Set<string>();
    private readonly owners = new Set<string>();
    /**
     * Entries the admin deleted one by one: a request still answering when its prompt was deleted (stored early,
     * for others waiting on it) would otherwise store its better copy in that entry's place.
     */
    private readonly deletedIds = new Set<number>();
    private clears = 0;

    /** Counts the clears: a request notes it on arrival, and what it served is not kept once the cache was cleared since. */
    public get epoch(): number {
        return this.clears;
    }

    public scopePurged(scope: string): void {
        this.scopes.add(scope);
    }

    public ownerPurged(owner: string): void {
        this.owners.add(owner);
    }

    public entryDeleted(id: number): void {
        this.deletedIds.add(id);
        if (this.deletedIds.size > maxRememberedIds) this.deletedIds.delete(this.deletedIds.values().next().value!);
    }

    public cleared(): void {
        this.clears++;
    }

    /** Whether the admin deleted this entry (a request must not store its replacement). */
    public wasDeleted(id: number): boolean {
        return this.deletedIds.has(id);
    }

    /**
     * Whether a request's prompt may be kept (its KV stored, or left in its sequence for the next one): not when its
     * scope or its sender was purged, or the cache cleared, since it arrived.
     */
    public keeps(prompt: KeptPrompt): boolean {
        if (this.scopes.has(prompt.scope)) return false;
        if (prompt.owner != null && this.owners.has(prompt.owner)) return false;
        return prompt.epoch == null || prompt.epoch === this.clears;
    }
}
