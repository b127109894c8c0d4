import type {WhatIfCurves} from "../../shared/admin.js";
import {effectiveSharing, type RecomputePolicy} from "../../shared/settings.js";
import type {AdminDeps} from "./ports.js";
import {budgetCurve, thresholdCurve, whatIfWindow} from "../insights/whatIf.js";

/** Quality checks this recent feed the budget curve's agreement. */
const qualityWindowMs = 7 * 86_400_000;

/**
 * GET /kvshare/whatif: hit rate and reused prompt tokens against the similarity threshold, and reuse
 * with measured agreement against the recompute budget, from the latest logged requests (of `scope`
 * when given), with the values in effect marked. The budget curve is one recompute policy's (the one in
 * effect unless `recomputePolicy` names another): requests may choose theirs.
 */
export function whatIf(
    deps: Pick<AdminDeps, "requestLog" | "qualityChecks" | "settings">,
    input: {scope?: string; recomputePolicy?: RecomputePolicy} = {},
    now = Date.now()
): WhatIfCurves {
    const started = performance.now();
    const effective = effectiveSharing(deps.settings.sharing, input.scope ?? "");
    const policy = input.recomputePolicy ?? effective.recomputePolicy;
    const rows = deps.requestLog.whatIfRows(whatIfWindow, input.scope);
    const threshold = thresholdCurve(rows);
    const budget = budgetCurve(rows, policy);
    const quality = deps.qualityChecks.byBudget(now - qualityWindowMs, input.scope, policy);
    return {
        scope: input.scope ?? null,
        scopes: deps.requestLog.scopes(now - deps.settings.sharing.historyDays * 86_400_000),
        requests: rows.length,
        servedFromDonor: rows.reduce((n, row) => n + (row.servedFromDonor === true ? 1 : 0), 0),
        costGate: deps.settings.sharing.costGate,
        current: {similarityThreshold: effective.similarityThreshold, recomputeBudget: effective.recomputeBudget, recomputePolicy: effective.recomputePolicy},
        threshold: {...threshold, agreement: deps.qualityChecks.atOrAbove(now - qualityWindowMs, input.scope, threshold.x.length)},
        budget: {...budget, policy, agreement: quality.map((q) => q.agreement), checks: quality.map((q) => q.checks)},
        computeMs: performance.now() - started
    };
}
