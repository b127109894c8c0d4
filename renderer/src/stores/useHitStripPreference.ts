import {create} from "zustand";
import {createJSONStorage, persist} from "zustand/middleware";
import {guardedLocalStorage} from "./useLocalCopy.js";

interface HitStripPreference {
    /** Whether answers show their prompt's tokens coloured by reuse (the admin's view; closed for everyone else). */
    tokensOpen: boolean;
    setTokensOpen(open: boolean): void;
}

/**
 * Whether the cache-reuse strip under each answer is open. Closed by default: the coloured tokens are for whoever
 * tunes sharing, and a receptionist reading answers needs only the one-line summary. Opened once, it stays open
 * for every answer and after a reload.
 */
export const useHitStripPreference = create<HitStripPreference>()(
    persist((set) => ({tokensOpen: false, setTokensOpen: (tokensOpen) => set({tokensOpen})}), {
        name: "kvshare.hitStrip",
        storage: createJSONStorage(() => guardedLocalStorage)
    })
);
