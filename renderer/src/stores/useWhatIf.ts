import {create} from "zustand";
import type {WhatIfCurves} from "../../../shared/admin.js";
import type {RecomputePolicy} from "../../../shared/settings.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";

interface WhatIfState {
    curves: WhatIfCurves | null;
    /** The scope the curves are for; null: every request. */
    scope: string | null;
    /** The recompute policy whose budget curve is shown; null: the one in effect. */
    policy: RecomputePolicy | null;
    error: string | null;
    /**
     * Fetches the curves for `scope` (the server computes them from its request log), the budget curve of
     * `policy` (kept while the scope stays; a new scope starts from the policy in effect).
     */
    load: (scope?: string | null, policy?: RecomputePolicy | null) => Promise<void>;
}

/** Numbers the loads: only the latest one's answer (or error) is shown, whatever order answers arrive in. */
let latest = 0;

export const useWhatIf = create<WhatIfState>()((set, get) => ({
    curves: null,
    scope: null,
    policy: null,
    error: null,
    load: async (scope = get().scope, policy = scope === get().scope ? get().policy : null) => {
        const load = ++latest;
        // What the panel shows until the answer comes; a failed load goes back to it, so choosing again retries.
        const shown = {scope: get().scope, policy: get().policy};
        set({scope, policy});
        try {
            const curves = await getBackend().admin("whatIf", {...(scope == null ? {} : {scope}), ...(policy == null ? {} : {recomputePolicy: policy})});
            if (load === latest) set({curves, error: null});
        } catch (error) {
            if (load === latest) set({error: errorMessage(error), ...(get().curves == null ? {} : shown)});
        }
    }
}));
