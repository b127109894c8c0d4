import {useEffect, useState, type ReactNode} from "react";
import type {AdminSettings} from "../../../shared/admin.js";
import {draftFrom, patchFrom, type SettingsDraft} from "../lib/settingsForm.js";
import {formatBytes} from "../lib/format.js";
import {useAdminSettings} from "../stores/useAdminSettings.js";

function Field({label, hint, children}: {label: string; hint?: string; children: ReactNode}) {
    return (
        <label className="field">
            <span className="field-label">{label}</span>
            {children}
            {hint ? <span className="field-hint">{hint}</span> : null}
        </label>
    );
}

function Form({settings}: {settings: AdminSettings}) {
    const [draft, setDraft] = useState<SettingsDraft>(() => draftFrom(settings));
    const [localError, setLocalError] = useState<string | null>(null);
    const [confirmClear, setConfirmClear] = useState(false);
    const serverError = useAdminSettings((s) => s.error);
    const saving = useAdminSettings((s) => s.saving);
    const savedAt = useAdminSettings((s) => s.savedAt);
    const lastCleared = useAdminSettings((s) => s.lastCleared);
    useEffect(() => setDraft(draftFrom(settings)), [settings]);

    const set = <K extends keyof SettingsDraft>(key: K, value: SettingsDraft[K]) => setDraft((d) => ({...d, [key]: value}));
    const text = (key: keyof SettingsDraft, testId: string) => (
        <input type="text" inputMode="decimal" data-testid={testId} value={draft[key] as string} onChange={(e) => set(key, e.target.value as never)} />
    );
    const patch = patchFrom(settings, draft);
    const dirty = typeof patch === "string" || Object.keys(patch).length > 0;
    const restart = settings.restartRequired.includes("sharing.embedder") && draft.embedder !== settings.sharing.embedder;

    const save = async (): Promise<void> => {
        if (typeof patch === "string") return setLocalError(patch);
        setLocalError(null);
        await useAdminSettings.getState().patch(patch);
    };
    const error = localError ?? serverError;

    return (
        <form className="admin-form" onSubmit={(e) => {
            e.preventDefault();
            void save();
        }}>
            <section className="admin-section">
                <h2>Semantic KV sharing</h2>
                <p className="muted small">Changes apply to the next request, without a restart.</p>
                <div className="admin-grid">
                    <label className="check"><input type="checkbox" data-testid="setting-enabled" checked={draft.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Semantic sharing</label>
                    <label className="check"><input type="checkbox" data-testid="setting-prefix" checked={draft.prefixReuse} onChange={(e) => set("prefixReuse", e.target.checked)} /> Exact prefix reuse</label>
                    <Field label="Similarity threshold" hint="0..1: cosine similarity a cached prompt needs to be a donor">{text("similarityThreshold", "setting-threshold")}</Field>
                    <Field label="Top-k" hint="Donor candidates fetched, then ranked by reusable tokens">{text("topK", "setting-topk")}</Field>
                    <Field label="Minimum kept run" hint="Shortest run of equal tokens worth reusing">{text("minRunLength", "setting-min-run")}</Field>
                    <Field label="Recompute budget" hint="0..1: share of kept tokens recomputed for quality">{text("recomputeBudget", "setting-recompute")}</Field>
                    <Field label="Minimum gain" hint="Tokens a donor must add over prefix reuse">{text("minGainTokens", "setting-min-gain")}</Field>
                    <Field label="Embedder" hint={restart ? "Saved now; used after the model is loaded again (restart)" : "Used to find similar prompts"}>
                        <select data-testid="setting-embedder" value={draft.embedder} onChange={(e) => set("embedder", e.target.value as SettingsDraft["embedder"])}>
                            <option value="lexical">Lexical (fast, no model)</option>
                            <option value="model">Model embeddings</option>
                        </select>
                    </Field>
                </div>
            </section>
            <section className="admin-section">
                <h2>Sharing scopes</h2>
                <div className="admin-grid">
                    <Field label="Who shares with whom" hint="Reuse never crosses scopes">
                        <select data-testid="setting-scope" value={draft.scopePolicy} onChange={(e) => set("scopePolicy", e.target.value as SettingsDraft["scopePolicy"])}>
                            <option value="global">Everyone shares</option>
                            <option value="group">Members of the same group</option>
                            <option value="user">Each user only with themselves</option>
                        </select>
                    </Field>
                    <Field label="Groups" hint="One “user = group” per line (profiles with a group are added here)">
                        <textarea rows={3} data-testid="setting-groups" value={draft.groups} onChange={(e) => set("groups", e.target.value)} placeholder="Nurse = ward-3" />
                    </Field>
                </div>
            </section>
            <section className="admin-section">
                <h2>Cache</h2>
                <div className="admin-grid">
                    <Field label="Snapshot budget (MiB)" hint={`Now ${formatBytes(settings.sharing.maxSnapshotBytes)}; a smaller budget evicts at once`}>{text("budgetMiB", "setting-budget")}</Field>
                    <Field label="Memory tier (MiB)" hint={`Hot donors kept in memory (no disk read); now ${formatBytes(settings.sharing.maxMemoryBytes)}`}>{text("memoryMiB", "setting-memory")}</Field>
                    <div className="field">
                        <span className="field-label">Clear cache</span>
                        {confirmClear ? (
                            <div className="row">
                                <button type="button" className="button danger" data-testid="clear-cache-confirm" onClick={() => {
                                    setConfirmClear(false);
                                    void useAdminSettings.getState().clearCache();
                                }}>Remove every cached prompt</button>
                                <button type="button" className="button" onClick={() => setConfirmClear(false)}>Cancel</button>
                            </div>
                        ) : (
                            <div className="row"><button type="button" className="button" data-testid="clear-cache" onClick={() => setConfirmClear(true)}>Clear cache…</button></div>
                        )}
                        <span className="field-hint" data-testid="clear-cache-result">
                            {lastCleared ? `Removed ${lastCleared.removedEntries} entries, freed ${formatBytes(lastCleared.freedBytes)}` : "Drops all KV snapshots and their index"}
                        </span>
                    </div>
                </div>
            </section>
            <section className="admin-section">
                <h2>Local API server</h2>
                <p className="muted small">Read when the server starts: change them in settings.json (or with <code>serve</code> flags) and restart. CORS origins apply at once.</p>
                <dl className="readonly-grid" data-testid="api-readonly">
                    <div><dt>API</dt><dd>{settings.api.enabled ? "on" : "off"}</dd></div>
                    <div><dt>Address</dt><dd>{settings.api.host}:{settings.api.port}</dd></div>
                    <div><dt>Key required</dt><dd>{settings.api.auth ? "yes" : "no"}</dd></div>
                    <div><dt>Key</dt><dd><code>{settings.api.keyHint}</code></dd></div>
                </dl>
                <Field label="CORS origins" hint="One origin per line, e.g. http://localhost:3000">
                    <textarea rows={2} data-testid="setting-cors" value={draft.corsOrigins} onChange={(e) => set("corsOrigins", e.target.value)} />
                </Field>
            </section>
            <div className="admin-footer">
                {error ? <p className="form-error" role="alert" data-testid="settings-error">{error}</p> : savedAt && !dirty ? <p className="saved" data-testid="settings-saved">Saved · in effect now</p> : <span />}
                <div className="row">
                    <button type="button" className="button" disabled={!dirty} onClick={() => {
                        setDraft(draftFrom(settings));
                        setLocalError(null);
                    }}>Reset</button>
                    <button type="submit" className="button primary" data-testid="settings-save" disabled={!dirty || saving}>{saving ? "Saving…" : "Save"}</button>
                </div>
            </div>
        </form>
    );
}

/** The admin settings page. */
export function AdminPanel() {
    const settings = useAdminSettings((s) => s.settings);
    const error = useAdminSettings((s) => s.error);
    useEffect(() => void useAdminSettings.getState().load(), []);
    return (
        <div className="page admin" data-testid="admin-panel">
            <div className="page-head">
                <div>
                    <h1>Admin settings</h1>
                    <p className="muted">Every change is checked by the server and takes effect without a restart.</p>
                </div>
            </div>
            {settings ? <Form settings={settings} /> : error ? <p className="form-error">{error}</p> : <p className="muted">Loading…</p>}
        </div>
    );
}
