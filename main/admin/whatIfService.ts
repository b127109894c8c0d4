import type {WhatIfCurves} from "../../shared/admin.js";
import {effectiveSharing} from "../../shared/settings.js";
import type {AppCore} from "../app/AppCore.js";
import {budgetCurve, thresholdCurve, whatIfWindow} from "../insights/whatIf.js";

/** Quality checks this recent feed the budget curve's agreement. */
const qualityWindowMs = 7 * 86_400_000;

/**
 * GET /kvshare/whatif: hit rate and reused prompt tokens against the similarity threshold, and reuse
 * with measured agreement against the recompute budget, from the latest logged requests (of `scope`
 * when given), with the values in effect marked.
 */
export function whatIf(core: AppCore, input: {scope?: string} = {}, now = Date.now()): WhatIfCurves {
    const started = performance.now();
    const rows = core.requestLog.whatIfRows(whatIfWindow, input.scope);
    const threshold = thresholdCurve(rows);
    const budget = budgetCurve(rows);
    const quality = core.qualityChecks.byBudget(now - qualityWindowMs, input.scope);
    const effective = effectiveSharing(core.settings.sharing, input.scope ?? "");
    return {
        scope: input.scope ?? null,
        scopes: core.requestLog.scopes(now - core.settings.sharing.historyDays * 86_400_000),
        requests: rows.length,
        current: {similarityThreshold: effective.similarityThreshold, recomputeBudget: effective.recomputeBudget},
        threshold: {...threshold, agreement: core.qualityChecks.atOrAbove(now - qualityWindowMs, input.scope, threshold.x.length)},
        budget: {...budget, agreement: quality.map((q) => q.agreement), checks: quality.map((q) => q.checks)},
        computeMs: performance.now() - started
    };
}
