/** The settings panel's local API server section: on/off, address, port, CORS origins, and what is read only. */
import type {ReactNode} from "react";
import type {AdminSettings} from "../../../shared/admin.js";
import {isLoopback} from "../../../shared/hosts.js";
import type {SettingsDraft} from "../lib/settingsForm.js";
import {Field} from "./Field.js";

interface Props {
    settings: AdminSettings;
    draft: SettingsDraft;
    set: <K extends keyof SettingsDraft>(key: K, value: SettingsDraft[K]) => void;
    /** The form's text input for a draft field. */
    text: (key: keyof SettingsDraft, testId: string) => ReactNode;
}

/**
 * A start-up flag (`serve --port 9000`) that set the address for this run over settings.json: the field shows the
 * flag's value, and the next start without it uses the saved one (a saved port the flag hides would look lost).
 */
function flagNote(settings: AdminSettings, key: "host" | "port"): string {
    const {flagOverrides, saved} = settings.api;
    if (!flagOverrides.includes(key)) return "";
    return ` · set by a start-up flag for this run${saved == null ? "" : ` (settings.json: ${saved[key]})`}; saving a value here replaces it`;
}

/** Changes apply at once (the key requirement at start-up): the page says which. */
export function ApiServerSettings({settings, draft, set, text}: Props) {
    return (
        <section className="admin-section">
            <h2>Local API server</h2>
            <p className="muted small">
                On/off, address and CORS origins apply at once. Whether a key is required is read at start-up (settings.json or <code>serve</code> flags).
            </p>
            <p className="small" data-testid="api-url">
                {settings.api.url ? (
                    <>
                        Listening on <code>{settings.api.url}/v1</code>
                    </>
                ) : settings.api.enabled ? (
                    "Not running (the address could not be bound at start-up): save an address to try again."
                ) : (
                    "Off: other apps cannot reach the API."
                )}
            </p>
            <div className="admin-grid">
                <div className="field">
                    <label className="check">
                        <input
                            type="checkbox"
                            data-testid="setting-api-enabled"
                            checked={draft.apiEnabled}
                            disabled={settings.api.servesUi}
                            onChange={(e) => set("apiEnabled", e.target.checked)}
                        />{" "}
                        API server on
                    </label>
                    <span className="field-hint">
                        {settings.api.servesUi
                            ? "This page is served by the API server: to turn it off, stop the serve process"
                            : "Off: only this window can use the model"}
                    </span>
                </div>
                <span />
                <Field label="Host" hint={`127.0.0.1: this machine only; 0.0.0.0: every network interface${flagNote(settings, "host")}`}>
                    <input
                        type="text"
                        data-testid="setting-api-host"
                        value={draft.apiHost}
                        onChange={(e) => set("apiHost", e.target.value)}
                        spellCheck={false}
                    />
                </Field>
                <Field
                    label="Port"
                    hint={`${settings.api.servesUi ? "0 picks a free port; this page moves with the server" : "0 picks a free port"}${flagNote(settings, "port")}`}
                >
                    {text("apiPort", "setting-api-port")}
                </Field>
            </div>
            {draft.apiHost.trim() !== "" && !isLoopback(draft.apiHost) ? (
                <p className="warning" role="note" data-testid="api-lan-warning">
                    <strong>{draft.apiHost.trim()}</strong> makes the API reachable from other machines on the network. Only the key keeps them out:
                    {settings.api.auth
                        ? " keep “key required” on and give each app or person a key of their own (below)."
                        : " a key is not required now, so this address is refused until api.auth is turned on."}
                </p>
            ) : null}
            <dl className="readonly-grid" data-testid="api-readonly">
                <div>
                    <dt>Key required</dt>
                    <dd>{settings.api.auth ? "yes" : "no"}</dd>
                </div>
                <div>
                    <dt>App key</dt>
                    <dd>
                        <code>{settings.api.keyHint}</code>
                    </dd>
                </div>
            </dl>
            <Field label="CORS origins" hint="One origin per line, e.g. http://localhost:3000">
                <textarea rows={2} data-testid="setting-cors" value={draft.corsOrigins} onChange={(e) => set("corsOrigins", e.target.value)} />
            </Field>
        </section>
    );
}
