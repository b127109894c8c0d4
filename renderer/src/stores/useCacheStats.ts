import {create} from "zustand";
import type {CacheStats} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";

interface CacheStatsState {
    stats: CacheStats | null;
    error: string | null;
    loading: boolean;
    /** The scope the dashboard shows (a group admin's view); null: every scope. */
    scope: string | null;
    /** Fetches the dashboard's numbers (hit rate, tokens saved, TTFT, cache size, top donors, quality). */
    load: () => Promise<void>;
    /** Shows one scope's requests only (null: all), and loads them. */
    setScope: (scope: string | null) => Promise<void>;
}

/** The dashboard's scope survives a reload of the tab (not other tabs: each admin view keeps its own). */
export const DASHBOARD_SCOPE_STORAGE = "kvshare.dashboard.scope";

function storedScope(): string | null {
    try {
        return sessionStorage.getItem(DASHBOARD_SCOPE_STORAGE);
    } catch {
        return null;
    }
}

function storeScope(scope: string | null): void {
    try {
        if (scope == null) sessionStorage.removeItem(DASHBOARD_SCOPE_STORAGE);
        else sessionStorage.setItem(DASHBOARD_SCOPE_STORAGE, scope);
    } catch {
        // Storage may be off (private mode, quota): the choice then lasts until the reload.
    }
}

export const useCacheStats = create<CacheStatsState>()((set, get) => ({
    stats: null,
    error: null,
    loading: false,
    scope: storedScope(),
    load: async () => {
        if (get().loading) return;
        const scope = get().scope;
        set({loading: true});
        try {
            const stats = await getBackend().admin("cacheStats", scope == null ? {} : {scope});
            set(get().scope === scope ? {stats, error: null, loading: false} : {loading: false});
        } catch (error) {
            set({error: errorMessage(error), loading: false});
        }
    },
    setScope: async (scope) => {
        storeScope(scope);
        set({scope, loading: false});
        await get().load();
    }
}));

/** Share of prompt tokens whose KV came from the cache. */
export function selectTokensSavedShare(state: Pick<CacheStatsState, "stats">): number {
    const totals = state.stats?.totals;
    return totals && totals.promptTokens > 0 ? totals.reusedTokens / totals.promptTokens : 0;
}
