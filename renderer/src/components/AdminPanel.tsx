import {useEffect, useRef, useState} from "react";
import type {AdminSettings} from "../../../shared/admin.js";
import {loadApiKey} from "../backend/apiKey.js";
import {draftFrom, friendlySettingsError, patchFrom, recomputePolicyHints, recomputePolicyLabels, type SettingsDraft} from "../lib/settingsForm.js";
import {formatBytes} from "../lib/format.js";
import {useAdminSettings} from "../stores/useAdminSettings.js";
import {ApiKeys} from "./ApiKeys.js";
import {ApiServerSettings} from "./ApiServerSettings.js";
import {ConfirmButton} from "./ConfirmButton.js";
import {Field} from "./Field.js";
import {RuntimeSettings} from "./RuntimeSettings.js";
import {EvictionQuestion, evictionAhead, SavedNote, type EvictionAhead} from "./SaveNotes.js";
import {usePendingReload} from "./usePendingReload.js";
import {useStickyBarRoom} from "./useStickyBarRoom.js";
import {WhatIfPanel} from "./WhatIfPanel.js";

const sameSettings = (a: AdminSettings, b: AdminSettings): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

function Form({settings}: {settings: AdminSettings}) {
    // Edits left unsaved when the panel was closed come back, as long as the settings beneath them are the same.
    const [draft, setDraft] = useState<SettingsDraft>(() => {
        const kept = useAdminSettings.getState().unsaved;
        return kept != null && sameSettings(kept.base, settings) ? kept.draft : draftFrom(settings);
    });
    const [localError, setLocalError] = useState<string | null>(null);
    const serverError = useAdminSettings((s) => s.error);
    const saving = useAdminSettings((s) => s.saving);
    const savedAt = useAdminSettings((s) => s.savedAt);
    const lastCleared = useAdminSettings((s) => s.lastCleared);
    const lastEvicted = useAdminSettings((s) => s.lastEvicted);
    // A save that would remove cached prompts (a smaller snapshot budget) asks first.
    const [asking, setAsking] = useState<EvictionAhead | null>(null);
    // The last save changed the sharing scopes: said beside "Saved", what was cached before being out of every scope now.
    const [scopeChanged, setScopeChanged] = useState(false);
    const clearError = useAdminSettings((s) => s.clearError);
    // Edits (and settings loaded anew) since a save began: the answer to a question asked about an older draft is not
    // acted on.
    const edits = useRef(0);
    const shown = useRef(settings);
    useEffect(() => {
        // A reload of the same values (the panel loads them again when it opens) keeps what is being typed.
        if (sameSettings(shown.current, settings)) return;
        shown.current = settings;
        edits.current++;
        setDraft(draftFrom(settings));
    }, [settings]);

    // An error is about the values that were saved: once they change (an edit, Reset) it no longer applies.
    const forgetError = (): void => {
        setLocalError(null);
        if (useAdminSettings.getState().error !== null) useAdminSettings.setState({error: null});
    };
    const update = (change: (draft: SettingsDraft) => SettingsDraft): void => {
        setDraft(change);
        edits.current++;
        setAsking(null);
        forgetError();
    };
    const set = <K extends keyof SettingsDraft>(key: K, value: SettingsDraft[K]) => update((d) => ({...d, [key]: value}));
    const text = (key: keyof SettingsDraft, testId: string) => (
        <input type="text" inputMode="decimal" data-testid={testId} value={draft[key] as string} onChange={(e) => set(key, e.target.value as never)} />
    );
    const patch = patchFrom(settings, draft);
    const dirty = typeof patch === "string" || Object.keys(patch).length > 0;
    const pending = usePendingReload(settings);
    const embedderWaits = settings.restartRequired.includes("sharing.embedder") && draft.embedder !== settings.sharing.embedder;
    // Kept in the store: a reload or close then asks first (see useAdminSettings), the panel open or not.
    useEffect(() => useAdminSettings.setState({unsaved: dirty ? {draft, base: settings} : null}), [draft, settings, dirty]);

    const save = async (confirmed = false): Promise<void> => {
        if (typeof patch === "string") return setLocalError(patch);
        setLocalError(null);
        const began = edits.current;
        const ahead = confirmed ? null : await evictionAhead(patch, settings.sharing.maxSnapshotBytes);
        // Not saved without a word: the values on screen are not the ones this save was about.
        if (edits.current !== began) return setLocalError("The settings changed while they were being saved, and were not saved: check them and save again.");
        setAsking(ahead);
        if (ahead !== null || !(await useAdminSettings.getState().patch(patch))) return;
        // Who shares with whom changed: the policy, or (under groups) a user's group.
        const groupsMoved = patch.sharing?.groups != null && (patch.sharing.scopePolicy ?? settings.sharing.scopePolicy) === "group";
        setScopeChanged(patch.sharing?.scopePolicy != null || groupsMoved);
    };
    const error = localError ?? (serverError == null ? null : friendlySettingsError(serverError));
    const footer = useStickyBarRoom<HTMLDivElement>();

    return (
        <form
            className="admin-form"
            onSubmit={(e) => {
                e.preventDefault();
                void save();
            }}
        >
            <section className="admin-section">
                <h2>Semantic KV sharing</h2>
                <p className="muted small">Changes apply to the next request, without a restart.</p>
                <div className="admin-grid">
                    <label className="check">
                        <input type="checkbox" data-testid="setting-enabled" checked={draft.enabled} onChange={(e) => set("enabled", e.target.checked)} />{" "}
                        Semantic sharing
                    </label>
                    <label className="check">
                        <input
                            type="checkbox"
                            data-testid="setting-prefix"
                            checked={draft.prefixReuse}
                            onChange={(e) => set("prefixReuse", e.target.checked)}
                        />{" "}
                        Exact prefix reuse
                    </label>
                    <label className="check" aria-describedby="cost-gate-hint">
                        <input type="checkbox" data-testid="setting-cost-gate" checked={draft.costGate} onChange={(e) => set("costGate", e.target.checked)} />{" "}
                        Cost-aware gate
                    </label>
                    <p className="muted small field-hint" id="cost-gate-hint" data-testid="cost-gate-hint">
                        Uses this machine&apos;s measured speeds: skips a donor predicted slower than computing the prompt, and keeps prompts whose reuse could
                        never save time (short ones, on a small model) out of the cache. Off: every prompt is cached and every donor tried.
                    </p>
                    <Field label="Similarity threshold" hint="0..1: cosine similarity a cached prompt needs to be a donor">
                        {text("similarityThreshold", "setting-threshold")}
                    </Field>
                    <Field label="Top-k" hint="Donor candidates fetched, then ranked by reusable tokens">
                        {text("topK", "setting-topk")}
                    </Field>
                    <Field label="Minimum kept run" hint="Shortest run of equal tokens worth reusing">
                        {text("minRunLength", "setting-min-run")}
                    </Field>
                    <Field
                        label="Recompute budget"
                        hint="0..1: share of kept tokens (past an exact shared start, whose KV is exact) recomputed for quality before the first token (dhd-decode and dhd-guard fix more while decoding)"
                    >
                        {text("recomputeBudget", "setting-recompute")}
                    </Field>
                    <Field
                        label="Recompute policy"
                        hint={`${recomputePolicyHints[draft.recomputePolicy]}. The measured ones fall back to edit boundaries where no probe can run`}
                    >
                        <select
                            data-testid="setting-recompute-policy"
                            value={draft.recomputePolicy}
                            onChange={(e) => set("recomputePolicy", e.target.value as SettingsDraft["recomputePolicy"])}
                        >
                            {Object.entries(recomputePolicyLabels).map(([policy, label]) => (
                                <option key={policy} value={policy}>
                                    {label}
                                </option>
                            ))}
                        </select>
                    </Field>
                    <Field label="Minimum gain" hint="Tokens a donor must add over prefix reuse">
                        {text("minGainTokens", "setting-min-gain")}
                    </Field>
                    <Field
                        label="Embedder"
                        hint={
                            embedderWaits
                                ? "Saved now; used once the model is loaded again (Reload model now, under Model runtime)"
                                : pending.includes("sharing.embedder")
                                  ? "Saved; the model in use keeps the previous embedder until it is loaded again"
                                  : "Used to find similar prompts"
                        }
                    >
                        <select
                            data-testid="setting-embedder"
                            value={draft.embedder}
                            onChange={(e) => set("embedder", e.target.value as SettingsDraft["embedder"])}
                        >
                            <option value="lexical">Lexical (fast, no model)</option>
                            <option value="model">Model embeddings</option>
                        </select>
                    </Field>
                </div>
            </section>
            <WhatIfPanel settings={settings} draft={draft} setDraft={update} />
            <section className="admin-section">
                <h2>Sharing scopes</h2>
                <div className="admin-grid">
                    <Field label="Who shares with whom" hint="Reuse never crosses scopes">
                        <select
                            data-testid="setting-scope"
                            value={draft.scopePolicy}
                            onChange={(e) => set("scopePolicy", e.target.value as SettingsDraft["scopePolicy"])}
                        >
                            <option value="global">Everyone shares</option>
                            <option value="group">Members of the same group</option>
                            <option value="user">Each user only with themselves</option>
                        </select>
                    </Field>
                    <Field label="Groups" hint="One “user = group” per line (profiles with a group are added here; a name holding = or : goes in quotes)">
                        <textarea
                            rows={3}
                            data-testid="setting-groups"
                            value={draft.groups}
                            onChange={(e) => set("groups", e.target.value)}
                            placeholder="Nurse = ward-3"
                        />
                    </Field>
                    <Field
                        label="Shared prefixes"
                        hint="System prompts or templates every scope may share (their KV holds only this text). Separate texts with a line holding only ---"
                    >
                        <textarea
                            rows={4}
                            data-testid="setting-shared-prefixes"
                            value={draft.sharedPrefixes}
                            onChange={(e) => set("sharedPrefixes", e.target.value)}
                            placeholder="You are the front desk assistant of …"
                        />
                    </Field>
                </div>
            </section>
            <section className="admin-section">
                <h2>Cache</h2>
                <div className="admin-grid">
                    <Field label="Snapshot budget (MiB)" hint={`Now ${formatBytes(settings.sharing.maxSnapshotBytes)}; a smaller budget evicts at once`}>
                        {text("budgetMiB", "setting-budget")}
                    </Field>
                    <Field label="Memory tier (MiB)" hint={`Hot donors kept in memory (no disk read); now ${formatBytes(settings.sharing.maxMemoryBytes)}`}>
                        {text("memoryMiB", "setting-memory")}
                    </Field>
                    <div className="field">
                        <span className="field-label">Clear cache</span>
                        <div className="row">
                            <ConfirmButton
                                label="Clear cache…"
                                confirmLabel="Remove every cached prompt"
                                testId="clear-cache"
                                onConfirm={() => void useAdminSettings.getState().clearCache()}
                            />
                        </div>
                        <span className={clearError == null ? "field-hint" : "field-hint form-error"} data-testid="clear-cache-result">
                            {clearError != null
                                ? `Not cleared: ${clearError}`
                                : lastCleared
                                  ? `Removed ${lastCleared.removedEntries} ${lastCleared.removedEntries === 1 ? "entry" : "entries"}, freed ${formatBytes(lastCleared.freedBytes)}`
                                  : "Drops all KV snapshots and their index"}
                        </span>
                    </div>
                </div>
            </section>
            <section className="admin-section">
                <h2>History &amp; quality monitor</h2>
                <p className="muted small">
                    Served requests are kept in app.db for the dashboard and the curves above. When the model is idle, the monitor replays a share of the
                    requests served from shared KV with full compute and compares the answers; it stops the moment someone asks.
                </p>
                <div className="admin-grid">
                    <Field label="History (days)" hint="Older requests and checks are dropped">
                        {text("historyDays", "setting-history-days")}
                    </Field>
                    <Field
                        label="Quality monitor (% of shared-KV requests)"
                        hint={
                            settings.sharing.monitorShare == null
                                ? "Empty: the app's default (on in the desktop app, off for the API server)"
                                : "0 turns it off; empty: the app's default"
                        }
                    >
                        <input
                            type="text"
                            inputMode="decimal"
                            data-testid="setting-monitor"
                            value={draft.monitorPercent}
                            placeholder="app default"
                            onChange={(e) => set("monitorPercent", e.target.value)}
                        />
                    </Field>
                </div>
            </section>
            {settings.runtime != null && draft.runtime != null ? (
                <RuntimeSettings
                    runtime={settings.runtime}
                    draft={draft.runtime}
                    onChange={(runtime) => update((d) => ({...d, runtime}))}
                    unsaved={dirty}
                    pending={pending}
                />
            ) : null}
            <ApiServerSettings settings={settings} draft={draft} set={set} text={text} />
            <div className="admin-footer" ref={footer}>
                {asking ? (
                    <EvictionQuestion ahead={asking} onSave={() => void save(true)} onCancel={() => setAsking(null)} />
                ) : error ? (
                    <p className="form-error" role="alert" data-testid="settings-error">
                        {error}
                    </p>
                ) : savedAt && !dirty ? (
                    <SavedNote pending={pending} evicted={lastEvicted} scopeChanged={scopeChanged} />
                ) : dirty ? (
                    <p className="muted small" data-testid="settings-unsaved">
                        Unsaved changes
                    </p>
                ) : (
                    <span />
                )}
                <div className="row">
                    <button
                        type="button"
                        className="button"
                        disabled={!dirty}
                        onClick={() => {
                            setDraft(draftFrom(settings));
                            forgetError();
                            // And the values in effect now, where another window saved meanwhile.
                            useAdminSettings.setState({unsaved: null, seenElsewhere: null});
                            void useAdminSettings.getState().refresh();
                        }}
                    >
                        Reset
                    </button>
                    <button type="submit" className="button primary" data-testid="settings-save" disabled={!dirty || saving}>
                        {saving ? "Saving…" : "Save"}
                    </button>
                </div>
            </div>
        </form>
    );
}

/** Where the app moved (headless mode, after a new port or host), with the key so the new page opens signed in. */
function MovedNotice({url, auth}: {url: string; auth: boolean}) {
    const key = auth ? loadApiKey() : null;
    const href = `${url}/${key ? `#key=${encodeURIComponent(key)}` : ""}`;
    return (
        <p className="notice" role="status" data-testid="api-moved">
            The API server moved, and this app with it: continue at{" "}
            <a href={href} data-testid="api-moved-link">
                {url}
            </a>
            . This address no longer answers.
        </p>
    );
}

/** How often the open settings page reads the settings again while it is shown (another window or admin may change them). */
const FOLLOW_MS = 10_000;

/**
 * Keeps the page's settings those in effect: read again when the window gets the focus or is shown again, and every
 * few seconds while it is shown (another window's save would otherwise stay unseen here, under an old "Saved").
 * Edits being typed keep the copy they were typed on (see `refresh`).
 */
function useSettingsFollowed(): void {
    useEffect(() => {
        const refresh = (): void => {
            if (document.visibilityState === "visible") void useAdminSettings.getState().refresh();
        };
        const timer = setInterval(refresh, FOLLOW_MS);
        window.addEventListener("focus", refresh);
        document.addEventListener("visibilitychange", refresh);
        return () => {
            clearInterval(timer);
            window.removeEventListener("focus", refresh);
            document.removeEventListener("visibilitychange", refresh);
        };
    }, []);
}

/** The admin settings page. */
export function AdminPanel() {
    const settings = useAdminSettings((s) => s.settings);
    const error = useAdminSettings((s) => s.error);
    const movedTo = useAdminSettings((s) => s.movedTo);
    useEffect(() => void useAdminSettings.getState().load(), []);
    useSettingsFollowed();
    return (
        <div className="page admin" data-testid="admin-panel">
            <div className="page-head">
                <div>
                    <h1>Admin settings</h1>
                    <p className="muted">
                        Every change is checked by the server and takes effect without a restart, unless its field says it waits for the next model load.
                    </p>
                </div>
            </div>
            {movedTo ? <MovedNotice url={movedTo} auth={settings?.api.auth ?? true} /> : null}
            {settings ? <Form settings={settings} /> : error ? <p className="form-error">{error}</p> : <p className="muted">Loading…</p>}
            {settings ? <ApiKeys scopePolicy={settings.sharing.scopePolicy} /> : null}
        </div>
    );
}
