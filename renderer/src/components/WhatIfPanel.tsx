import {useEffect} from "react";
import type {AdminSettings, WhatIfCurves} from "../../../shared/admin.js";
import type {RecomputePolicy} from "../../../shared/settings.js";
import {formatPercent} from "../lib/format.js";
import {parseGroups, recomputePolicyLabels, type SettingsDraft} from "../lib/settingsForm.js";
import {thresholdPoint, typedNumber} from "../lib/whatIf.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {useWhatIf} from "../stores/useWhatIf.js";
import {ChartBox} from "./ChartBox.js";
import {budgetSummary, thresholdSummary} from "./chartSummaries.js";
import {ScopeName, scopeText, useScopeLabel} from "./ScopeName.js";
import {BudgetChart, ThresholdChart} from "./WhatIfCharts.js";

interface Props {
    settings: AdminSettings;
    draft: SettingsDraft;
    setDraft: (update: (draft: SettingsDraft) => SettingsDraft) => void;
}

/** The values the panel marks for the chosen scope: saved (in effect) and typed (not saved yet). */
function marks(settings: AdminSettings, draft: SettingsDraft, scope: string | null) {
    const saved = settings.sharing;
    const savedOverride = scope == null ? undefined : saved.scopeOverrides[scope];
    const typedOverride = scope == null ? undefined : draft.scopeOverrides[scope];
    const globalThreshold = typedNumber(draft.similarityThreshold);
    const globalBudget = typedNumber(draft.recomputeBudget);
    return {
        savedThreshold: savedOverride?.similarityThreshold ?? saved.similarityThreshold,
        savedBudget: savedOverride?.recomputeBudget ?? saved.recomputeBudget,
        typedThreshold:
            typedOverride != null && typedOverride.similarityThreshold.trim() !== "" ? typedNumber(typedOverride.similarityThreshold) : globalThreshold,
        typedBudget: typedOverride != null && typedOverride.recomputeBudget.trim() !== "" ? typedNumber(typedOverride.recomputeBudget) : globalBudget
    };
}

/**
 * The scopes of the groups named in the settings (saved, typed in the group lines, or an issued key's group),
 * when the draft shares by group: a ward's requests will run in `group:NAME`, so it can be tuned before its
 * first request is logged. None under another policy, where no request runs in a group's scope.
 */
function groupScopes(settings: AdminSettings, draft: SettingsDraft, keyGroups: ReadonlyArray<string | undefined>): string[] {
    if (draft.scopePolicy !== "group") return [];
    // A malformed line is the form's error to report on Save; the saved groups are still offered meanwhile.
    const typed = parseGroups(draft.groups);
    const names = [...Object.values(settings.sharing.groups), ...(typeof typed === "string" ? [] : Object.values(typed)), ...keyGroups];
    return names.flatMap((name) => (name == null || name === "" ? [] : [`group:${name}`]));
}

/**
 * Which recompute policy's budget curve to show: a budget recomputes different tokens under each policy
 * (none, under `none`), and requests may choose their own, so the curve is one policy's, the one in effect
 * unless another is chosen.
 */
function PolicyChoice({curves}: {curves: WhatIfCurves}) {
    const chosen = useWhatIf((s) => s.policy);
    const inUse = curves.current.recomputePolicy;
    const shown = chosen ?? inUse;
    const served = new Map(curves.budget.policies.map((p) => [p.policy, p.donorRequests]));
    const choices = [inUse, ...curves.budget.policies.map((p) => p.policy).filter((p) => p !== inUse)];
    if (!choices.includes(shown)) choices.push(shown);
    // The options name the policy alone: with "in use" and its donor requests beside, a long policy name was cut
    // off in a phone-wide select. The hint below, which wraps, says the rest.
    const counts = choices.map((p) => `${served.get(p) ?? 0} with ${recomputePolicyLabels[p]}`).join(", ");
    return (
        <label className="field whatif-policy">
            <span className="field-label">Recompute policy</span>
            <select
                data-testid="whatif-policy"
                value={shown}
                onChange={(e) => void useWhatIf.getState().load(undefined, e.target.value === inUse ? null : (e.target.value as RecomputePolicy))}
            >
                {choices.map((p) => (
                    <option key={p} value={p}>
                        {recomputePolicyLabels[p]}
                    </option>
                ))}
            </select>
            <span className="field-hint" data-testid="whatif-policy-hint">
                In use: {recomputePolicyLabels[inUse]}. Donor requests served: {counts}.
            </span>
        </label>
    );
}

/** "Saved 0.3 → 62 %; typed 0.45 → 40 %": the numbers behind the marks, for people and tests. */
function ThresholdReadout({curves, saved, typed}: {curves: WhatIfCurves; saved: number; typed: number | null}) {
    const savedPoint = thresholdPoint(curves, saved);
    const typedPoint = typed == null ? null : thresholdPoint(curves, typed);
    if (savedPoint == null) return null;
    return (
        <div className="whatif-readout">
            <span className="whatif-mark saved" data-testid="whatif-saved" data-threshold={saved} data-hit-rate={savedPoint.hitRate}>
                Saved <strong>{saved}</strong>: hit rate {formatPercent(savedPoint.hitRate)} (served from a donor), {formatPercent(savedPoint.reusedShare)} of
                prompt tokens kept before recompute
            </span>
            <span className="whatif-mark served" data-testid="whatif-served">
                Served from a donor: {formatPercent(curves.requests === 0 ? 0 : curves.servedFromDonor / curves.requests)} of the same {curves.requests}{" "}
                {curves.requests === 1 ? "request" : "requests"}.{" "}
                {curves.costGate
                    ? "The curves replay the threshold alone; the cost gate (on) also serves a request from its own prefix where that is predicted faster, so fewer are."
                    : "The curves replay the threshold alone (the threshold of the time and the cost gate, then, decided what was served)."}
            </span>
            {typedPoint != null && typed !== saved ? (
                <span className="whatif-mark typed" data-testid="whatif-typed" data-threshold={typed} data-hit-rate={typedPoint.hitRate}>
                    Typed <strong>{typed}</strong>: expected hit rate {formatPercent(typedPoint.hitRate)}, {formatPercent(typedPoint.reusedShare)} of prompt
                    tokens kept before recompute
                </span>
            ) : null}
            <span className="whatif-note muted small" data-testid="whatif-kept-note">
                Kept: reused before the recompute budget computes some of them again. The dashboard&apos;s tokens saved count what is left after recompute, so
                they are fewer.
            </span>
        </div>
    );
}

/** A scope's own threshold and budget, over the global values (empty: the global value). */
function ScopeFields({scope, draft, setDraft, settings}: {scope: string; draft: SettingsDraft; setDraft: Props["setDraft"]; settings: AdminSettings}) {
    const fields = draft.scopeOverrides[scope] ?? {similarityThreshold: "", recomputeBudget: ""};
    const {name} = useScopeLabel()(scope);
    const set = (key: "similarityThreshold" | "recomputeBudget", value: string) =>
        setDraft((d) => ({...d, scopeOverrides: {...d.scopeOverrides, [scope]: {...fields, [key]: value}}}));
    const knobs = [
        ["similarityThreshold", "threshold", "scope-threshold"],
        ["recomputeBudget", "budget", "scope-budget"]
    ] as const;
    return (
        <div className="admin-grid scope-fields" data-testid="scope-override">
            {knobs.map(([key, label, testId]) => (
                <label className="field" key={key}>
                    <span className="field-label">
                        {label[0]!.toUpperCase() + label.slice(1)} for {name}
                    </span>
                    <input
                        type="text"
                        inputMode="decimal"
                        data-testid={testId}
                        value={fields[key]}
                        placeholder={`${settings.sharing[key]} (global)`}
                        onChange={(e) => set(key, e.target.value)}
                    />
                    <span className="field-hint">
                        Empty: the global {label} ({draft[key] || "—"})
                    </span>
                </label>
            ))}
        </div>
    );
}

/**
 * What a threshold or budget will do, before Save: hit rate and reused prompt tokens against the
 * similarity threshold, and donor reuse with the quality monitor's measured agreement against the
 * recompute budget, from this installation's logged requests; the saved and the typed values marked.
 * Choosing a scope shows its requests and edits its own threshold and budget.
 */
export function WhatIfPanel({settings, draft, setDraft}: Props) {
    const curves = useWhatIf((s) => s.curves);
    const scope = useWhatIf((s) => s.scope);
    const error = useWhatIf((s) => s.error);
    useEffect(() => void useWhatIf.getState().load(), [settings]);
    const {savedThreshold, savedBudget, typedThreshold, typedBudget} = marks(settings, draft, scope);
    const keyGroups = useApiKeys((s) => s.keys).map((k) => k.group);
    const scopes = [
        ...new Set([
            ...(curves?.scopes ?? []),
            ...Object.keys(settings.sharing.scopeOverrides),
            ...Object.keys(draft.scopeOverrides),
            ...groupScopes(settings, draft, keyGroups),
            // The one chosen stays listed when the group line that offered it is edited away.
            ...(scope == null ? [] : [scope])
        ])
    ].sort();
    const overridden = Object.keys(settings.sharing.scopeOverrides);
    // Issued keys' scopes by the key's name (the keys are loaded by the keys section of the same page).
    const label = useScopeLabel();

    return (
        <section className="admin-section whatif" data-testid="whatif">
            <div className="whatif-head">
                <div>
                    <h2>What the threshold and budget will do</h2>
                    <p className="muted small" data-testid="whatif-basis">
                        {curves == null ? (
                            "Loading…"
                        ) : curves.requests === 0 ? (
                            "No logged requests yet: the curves appear once the server has answered some."
                        ) : (
                            <>
                                From the latest {curves.requests} {curves.requests === 1 ? "request" : "requests"}
                                {scope ? (
                                    <>
                                        {" "}
                                        of <ScopeName scope={scope} />
                                    </>
                                ) : null}{" "}
                                that searched for a donor (computed in {curves.computeMs.toFixed(1)} ms): requests served with sharing off, or whose search the
                                cost gate skipped while others waited, are not in the curves, so the dashboard may count more. Type a value above to see it
                                marked before you save.
                            </>
                        )}
                    </p>
                </div>
                <label className="field whatif-scope">
                    <span className="field-label">Scope</span>
                    <select
                        data-testid="whatif-scope"
                        value={scope ?? ""}
                        onChange={(e) => void useWhatIf.getState().load(e.target.value === "" ? null : e.target.value)}
                    >
                        <option value="">All requests (global values)</option>
                        {scopes.map((s) => (
                            <option key={s} value={s}>
                                {scopeText(label(s))}
                                {overridden.includes(s) ? " · own values" : ""}
                            </option>
                        ))}
                    </select>
                </label>
            </div>
            {error ? <p className="form-error">{error}</p> : null}
            {scope != null ? <ScopeFields scope={scope} draft={draft} setDraft={setDraft} settings={settings} /> : null}
            {curves != null && curves.requests > 0 ? (
                <>
                    <ThresholdReadout curves={curves} saved={savedThreshold} typed={typedThreshold} />
                    <div className="whatif-charts">
                        <div className="chart-card" data-testid="whatif-threshold-chart" data-saved={savedThreshold} data-typed={typedThreshold ?? ""}>
                            <h3>Hit rate vs similarity threshold</h3>
                            <ChartBox summary={thresholdSummary(curves, savedThreshold, typedThreshold)}>
                                <ThresholdChart curves={curves} saved={savedThreshold} typed={typedThreshold} />
                            </ChartBox>
                        </div>
                        <div className="chart-card" data-testid="whatif-budget-chart" data-saved={savedBudget} data-typed={typedBudget ?? ""}>
                            <h3>Reuse and measured agreement vs recompute budget</h3>
                            <PolicyChoice curves={curves} />
                            {curves.budget.donorRequests === 0 ? (
                                <div className="chart-box">
                                    <p className="muted chart-empty" data-testid="whatif-budget-empty">
                                        {curves.budget.policies.length > 0
                                            ? `No donor request was served with “${recomputePolicyLabels[curves.budget.policy]}” yet: choose a policy that served some.`
                                            : curves.budget.unattributed > 0
                                              ? `${curves.budget.unattributed === 1 ? "The latest donor request was" : `The ${curves.budget.unattributed} latest donor requests were`} logged by an earlier version of the app, whose budgets meant other tokens: the budget curve starts with the next ones.`
                                              : "No request was served from a donor yet."}
                                    </p>
                                </div>
                            ) : (
                                <ChartBox summary={budgetSummary(curves, savedBudget, typedBudget)}>
                                    <BudgetChart curves={curves} saved={savedBudget} typed={typedBudget} />
                                </ChartBox>
                            )}
                            <p className="muted small" data-testid="whatif-budget-basis">
                                {curves.budget.donorRequests} donor {curves.budget.donorRequests === 1 ? "request" : "requests"} served with “
                                {recomputePolicyLabels[curves.budget.policy]}”; {curves.budget.checks.reduce((a, b) => a + b, 0)} quality checks this week
                            </p>
                        </div>
                    </div>
                </>
            ) : null}
        </section>
    );
}
