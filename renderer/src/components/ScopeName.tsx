import type {ApiKeyInfo} from "../../../shared/admin.js";
import {useApiKeys} from "../stores/useApiKeys.js";

/** An issued key's requests run in the scope `user:key/ID`: the id means nothing to the admin, the key's name does. */
const keyScope = /^user:key\/(.+)$/;

export interface ScopeLabel {
    /** What the admin knows the scope by: the key's name, or the scope itself. */
    name: string;
    /** The scope as the server names it, where `name` is not it. */
    id: string | null;
}

/**
 * How the admin knows `scope`: an issued key's scope by the key's name; by "a revoked key" and the start
 * of its id where the key is no longer listed (revoking is what takes a key off the list, while its
 * requests stay in the history). `keys` null: the list is not known yet, and the scope is shown as it is.
 */
export function scopeLabel(scope: string, keys: readonly ApiKeyInfo[] | null): ScopeLabel {
    const id = keyScope.exec(scope)?.[1];
    if (id == null || keys == null) return {name: scope, id: null};
    const key = keys.find((k) => k.id === id);
    return {name: key == null ? `a revoked key (${id.slice(0, 4)}…)` : `${key.name} (API key)`, id: scope};
}

/** One line, for a select's option: the name, then the id. */
export function scopeText(label: ScopeLabel): string {
    return label.id == null ? label.name : `${label.name} · ${label.id}`;
}

/** Names scopes by the keys issued (load them with `useApiKeys.getState().load()`), as {@link scopeLabel} does. */
export function useScopeLabel(): (scope: string) => ScopeLabel {
    const keys = useApiKeys((s) => s.keys);
    // The store's first, empty list is not the server's: until a load replaces it, every key would look revoked.
    const listed = keys === useApiKeys.getInitialState().keys ? null : keys;
    return (scope) => scopeLabel(scope, listed);
}

/** A scope in running text: the key's name, its id beside it in muted type. */
export function ScopeName({scope}: {scope: string}) {
    const {name, id} = useScopeLabel()(scope);
    return (
        <>
            {name}
            {id == null ? null : <span className="scope-id"> {id}</span>}
        </>
    );
}

/** A choice of scope ("All scopes" first), each named as {@link ScopeName} names it. */
export function ScopeSelect({
    scopes,
    value,
    onChange,
    label,
    testId
}: {
    scopes: readonly string[];
    value: string | null;
    onChange: (scope: string | null) => void;
    /** Its accessible name. */
    label: string;
    testId: string;
}) {
    const name = useScopeLabel();
    return (
        <select
            className="select"
            aria-label={label}
            data-testid={testId}
            value={value ?? ""}
            onChange={(e) => onChange(e.target.value === "" ? null : e.target.value)}
        >
            <option value="">All scopes</option>
            {[...new Set([...scopes, ...(value == null ? [] : [value])])].map((s) => (
                <option key={s} value={s}>
                    {scopeText(name(s))}
                </option>
            ))}
        </select>
    );
}
