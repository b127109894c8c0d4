import type {AdminSettingsPatch} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {formatBytes} from "../lib/format.js";
import {waitsForReload} from "../lib/runtimeForm.js";

/** What a save did: in effect now, or (for settings the model takes up when loaded) waiting for its next load. */
export function SavedNote({
    pending,
    evicted,
    scopeChanged
}: {
    pending: string[];
    evicted: {removedEntries: number; freedBytes: number} | null;
    /** The save changed who shares with whom: what was cached before is in scopes no request is in now. */
    scopeChanged: boolean;
}) {
    const removed =
        evicted == null
            ? ""
            : ` · the smaller budget removed ${evicted.removedEntries} cached ${evicted.removedEntries === 1 ? "prompt" : "prompts"} (${formatBytes(evicted.freedBytes)})`;
    return (
        <div>
            <p className={pending.length === 0 ? "saved" : "saved pending"} data-testid="settings-saved">
                Saved · {pending.length === 0 ? "in effect now" : waitsForReload(pending)}
                {removed}
            </p>
            {scopeChanged ? (
                <p className="muted small" data-testid="scope-change-note">
                    Prompts cached before stay in the scopes they were cached in, which requests under the new sharing no longer match: no one reuses them (but
                    the marked shared prefixes). They go as the budget needs room, or at once with Clear cache.
                </p>
            ) : null}
        </div>
    );
}

/** A save that would remove cached prompts at once: how much the cache holds, against the budget asked for. */
export interface EvictionAhead {
    budget: number;
    /** What the cache holds now; null where that could not be read. */
    held: {entries: number; bytes: number} | null;
}

/**
 * Whether `patch` lowers the snapshot budget below what the cache holds now (the server then removes the least
 * recently used cached prompts at once, before answering): asked first, as a Clear cache is.
 */
export async function evictionAhead(patch: AdminSettingsPatch, savedBudget: number): Promise<EvictionAhead | null> {
    const budget = patch.sharing?.maxSnapshotBytes;
    if (budget == null || budget >= savedBudget) return null;
    try {
        const {cache} = await getBackend().admin("cacheStats", {});
        return cache.bytes > budget ? {budget, held: {entries: cache.entries, bytes: cache.bytes}} : null;
    } catch {
        return {budget, held: null};
    }
}

/** The question before such a save: save and remove, or go back to the form. */
export function EvictionQuestion({ahead, onSave, onCancel}: {ahead: EvictionAhead; onSave: () => void; onCancel: () => void}) {
    const held =
        ahead.held == null
            ? `The cache may hold more than a budget of ${formatBytes(ahead.budget)}`
            : `The cache holds ${ahead.held.entries} cached prompts in ${formatBytes(ahead.held.bytes)}, more than a budget of ${formatBytes(ahead.budget)}`;
    return (
        <div className="evict-question" role="alert" data-testid="evict-question">
            <p>{held}: saving removes the least recently used of them now (raising the budget again does not bring them back).</p>
            <div className="row">
                <button type="button" className="button" onClick={onCancel}>
                    Cancel
                </button>
                <button type="button" className="button danger" data-testid="evict-confirm" onClick={onSave}>
                    Save and remove
                </button>
            </div>
        </div>
    );
}
