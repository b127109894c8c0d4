import {useEffect, useRef, useState} from "react";
import {keySharingText, type ScopePolicy} from "../../../shared/scopes.js";
import {focusLost} from "../lib/focusLost.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {ConfirmButton} from "./ConfirmButton.js";
import {CopyButton} from "./CopyButton.js";
import {Field} from "./Field.js";

/** Keys for other apps and people: issue (shown once), list, revoke. `scopePolicy`: the sharing scope saved. */
export function ApiKeys({scopePolicy}: {scopePolicy: ScopePolicy}) {
    const keys = useApiKeys((s) => s.keys);
    const created = useApiKeys((s) => s.created);
    const error = useApiKeys((s) => s.error);
    const busy = useApiKeys((s) => s.busy);
    const [name, setName] = useState("");
    const [group, setGroup] = useState("");
    // Purging is the safer default: a departed person's prompts should not linger in the cache.
    const [purgeOnRevoke, setPurgeOnRevoke] = useState(true);
    useEffect(() => void useApiKeys.getState().load(), []);
    // "Done" and a revoked key's row go with the focus: it goes to the name of the next key, not the page's top.
    const nameField = useRef<HTMLInputElement>(null);
    // A revocation that failed leaves the row: the focus goes back to its Revoke button (the error says why).
    const focusIfLost = (keptRow?: string): void => {
        if (!focusLost()) return;
        const revoke = keptRow === undefined ? null : document.querySelector<HTMLElement>(`[data-key-id="${CSS.escape(keptRow)}"] [data-testid=key-revoke]`);
        (revoke ?? nameField.current)?.focus();
    };

    return (
        <section className="admin-section" data-testid="api-keys">
            <h2>API keys</h2>
            <p className="muted small">
                For other apps and people. A key may use the OpenAI API only, not these settings or anyone&apos;s chats. Only a hash is stored; revoking takes
                effect with the next request.
            </p>
            <p className="muted small" data-testid="key-sharing">
                {keySharingText(scopePolicy)}
            </p>
            <form
                className="row key-create"
                onSubmit={(e) => {
                    e.preventDefault();
                    void useApiKeys
                        .getState()
                        .create(name, group)
                        .then((ok) => {
                            if (ok) {
                                setName("");
                                setGroup("");
                            }
                        });
                }}
            >
                {/* Labels that stay in sight: a placeholder is gone once something is typed. */}
                <Field label="Key name">
                    <input
                        ref={nameField}
                        type="text"
                        placeholder="e.g. reception-app"
                        data-testid="key-name"
                        value={name}
                        onChange={(e) => setName(e.target.value)}
                        spellCheck={false}
                    />
                </Field>
                <Field label="Group (optional)">
                    <input
                        type="text"
                        placeholder="e.g. ward-3"
                        data-testid="key-group"
                        value={group}
                        onChange={(e) => setGroup(e.target.value)}
                        spellCheck={false}
                    />
                </Field>
                <button type="submit" className="button primary" data-testid="key-create" disabled={busy || name.trim() === ""}>
                    Create key
                </button>
            </form>
            {created ? (
                <div className="created-key" role="status" data-testid="created-key-box">
                    <p className="warning">
                        <strong>Copy this key now: it will not be shown again.</strong> Key {created.entry.id} for {created.entry.name}
                        {created.entry.group ? ` (group ${created.entry.group})` : ""}.
                    </p>
                    <div className="row">
                        <code className="created-key-value" data-testid="created-key">
                            {created.key}
                        </code>
                        {/* Keyed by the key: a new key's button starts at "Copy". */}
                        <CopyButton key={created.key} text={created.key} testId="created-key-copy" className="button small" />
                        <button
                            type="button"
                            className="button small"
                            data-testid="created-key-done"
                            onClick={() => {
                                useApiKeys.getState().dismissCreated();
                                nameField.current?.focus();
                            }}
                        >
                            Done
                        </button>
                    </div>
                </div>
            ) : null}
            {error ? (
                <p className="form-error" role="alert" data-testid="keys-error">
                    {error}
                </p>
            ) : null}
            {keys.length === 0 ? (
                <p className="muted small" data-testid="keys-empty">
                    No keys issued yet.
                </p>
            ) : (
                <table className="keys-table" data-testid="keys-table">
                    <caption className="visually-hidden">Keys issued</caption>
                    <thead>
                        <tr>
                            <th>Name</th>
                            <th>Group</th>
                            <th>Key</th>
                            <th>Created</th>
                            <th>
                                <span className="visually-hidden">Actions</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {keys.map((key) => (
                            <tr key={key.id} data-testid="key-row" data-key-id={key.id}>
                                <td className="key-name">{key.name}</td>
                                <td data-label="Group">{key.group ?? "—"}</td>
                                <td data-label="Key">
                                    <code>{key.hint}…</code>
                                </td>
                                <td data-label="Created">{new Date(key.createdAt).toLocaleString()}</td>
                                <td className="key-actions">
                                    <ConfirmButton
                                        small
                                        label="Revoke…"
                                        name={`Revoke ${key.name}…`}
                                        confirmLabel="Revoke"
                                        confirmName={`Revoke ${key.name}`}
                                        busy={busy}
                                        testId="key-revoke"
                                        onConfirm={() =>
                                            void useApiKeys
                                                .getState()
                                                .revoke(key.id, purgeOnRevoke)
                                                .then((revoked) => focusIfLost(revoked ? undefined : key.id))
                                        }
                                    >
                                        <label className="small" title="Delete the prompts and KV cached in this key's own scope">
                                            <input
                                                type="checkbox"
                                                data-testid="key-revoke-purge"
                                                checked={purgeOnRevoke}
                                                onChange={(e) => setPurgeOnRevoke(e.target.checked)}
                                            />{" "}
                                            also delete its cached prompts
                                        </label>
                                    </ConfirmButton>
                                </td>
                            </tr>
                        ))}
                    </tbody>
                </table>
            )}
        </section>
    );
}
