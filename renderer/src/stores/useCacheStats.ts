import {create} from "zustand";
import type {CacheStats} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";

interface CacheStatsState {
    stats: CacheStats | null;
    error: string | null;
    loading: boolean;
    /** Fetches the dashboard's numbers (hit rate, tokens saved, TTFT, cache size, top donors). */
    load: () => Promise<void>;
}

export const useCacheStats = create<CacheStatsState>()((set, get) => ({
    stats: null,
    error: null,
    loading: false,
    load: async () => {
        if (get().loading) return;
        set({loading: true});
        try {
            set({stats: await getBackend().admin("cacheStats", {}), error: null, loading: false});
        } catch (error) {
            set({error: errorMessage(error), loading: false});
        }
    }
}));

/** Share of prompt tokens whose KV came from the cache. */
export function selectTokensSavedShare(state: Pick<CacheStatsState, "stats">): number {
    const totals = state.stats?.totals;
    return totals && totals.promptTokens > 0 ? totals.reusedTokens / totals.promptTokens : 0;
}
