import type {WhatIfCurves} from "../../shared/admin.js";
import {effectiveSharing} from "../../shared/settings.js";
import type {AdminDeps} from "./ports.js";
import {budgetCurve, thresholdCurve, whatIfWindow} from "../insights/whatIf.js";

/** Quality checks this recent feed the budget curve's agreement. */
const qualityWindowMs = 7 * 86_400_000;

/**
 * GET /kvshare/whatif: hit rate and reused prompt tokens against the similarity threshold, and reuse
 * with measured agreement against the recompute budget, from the latest logged requests (of `scope`
 * when given), with the values in effect marked.
 */
export function whatIf(deps: Pick<AdminDeps, "requestLog" | "qualityChecks" | "settings">, input: {scope?: string} = {}, now = Date.now()): WhatIfCurves {
    const started = performance.now();
    const rows = deps.requestLog.whatIfRows(whatIfWindow, input.scope);
    const threshold = thresholdCurve(rows);
    const budget = budgetCurve(rows);
    const quality = deps.qualityChecks.byBudget(now - qualityWindowMs, input.scope);
    const effective = effectiveSharing(deps.settings.sharing, input.scope ?? "");
    return {
        scope: input.scope ?? null,
        scopes: deps.requestLog.scopes(now - deps.settings.sharing.historyDays * 86_400_000),
        requests: rows.length,
        current: {similarityThreshold: effective.similarityThreshold, recomputeBudget: effective.recomputeBudget},
        threshold: {...threshold, agreement: deps.qualityChecks.atOrAbove(now - qualityWindowMs, input.scope, threshold.x.length)},
        budget: {...budget, agreement: quality.map((q) => q.agreement), checks: quality.map((q) => q.checks)},
        computeMs: performance.now() - started
    };
}
