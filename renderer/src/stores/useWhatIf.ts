import {create} from "zustand";
import type {WhatIfCurves} from "../../../shared/admin.js";
import type {RecomputePolicy} from "../../../shared/settings.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";

interface WhatIfState {
    curves: WhatIfCurves | null;
    /** The scope the curves are for; null: every request. */
    scope: string | null;
    /** The recompute policy whose budget curve is shown; null: the scope's own. */
    policy: RecomputePolicy | null;
    error: string | null;
    /**
     * Fetches the curves for `scope` (the server computes them from its request log), the budget curve of
     * `policy`; a new scope starts from its own policy.
     */
    load: (scope?: string | null, policy?: RecomputePolicy | null) => Promise<void>;
}

export const useWhatIf = create<WhatIfState>()((set, get) => ({
    curves: null,
    scope: null,
    policy: null,
    error: null,
    load: async (scope = get().scope, policy = scope === get().scope ? get().policy : null) => {
        set({scope, policy});
        try {
            const curves = await getBackend().admin("whatIf", {...(scope == null ? {} : {scope}), ...(policy == null ? {} : {recomputePolicy: policy})});
            // A slower answer for a scope or policy no longer chosen is dropped.
            if (get().scope === scope && get().policy === policy) set({curves, error: null});
        } catch (error) {
            set({error: errorMessage(error)});
        }
    }
}));
