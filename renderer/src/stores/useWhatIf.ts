import {create} from "zustand";
import type {WhatIfCurves} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";

interface WhatIfState {
    curves: WhatIfCurves | null;
    /** The scope the curves are for; null: every request. */
    scope: string | null;
    error: string | null;
    /** Fetches the curves for `scope` (the server computes them from its request log). */
    load: (scope?: string | null) => Promise<void>;
}

export const useWhatIf = create<WhatIfState>()((set, get) => ({
    curves: null,
    scope: null,
    error: null,
    load: async (scope = get().scope) => {
        set({scope});
        try {
            const curves = await getBackend().admin("whatIf", scope == null ? {} : {scope});
            // A slower answer for a scope no longer chosen is dropped.
            if (get().scope === scope) set({curves, error: null});
        } catch (error) {
            set({error: errorMessage(error)});
        }
    }
}));
