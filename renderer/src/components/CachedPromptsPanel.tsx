import {useEffect, useId, useRef, useState} from "react";
import type {CachedPrompt} from "../../../shared/admin.js";
import {useCacheStats} from "../stores/useCacheStats.js";
import {CACHED_PROMPTS_PAGE_SIZE, CACHED_PROMPTS_SEARCH_MAX, useCachedPrompts} from "../stores/useCachedPrompts.js";
import {CachedPromptRow, promptWords} from "./CachedPromptRow.js";
import {ScopeName, ScopeSelect} from "./ScopeName.js";

/** How long the search waits after the last key: one request per pause, not per letter. */
export const SEARCH_DEBOUNCE_MS = 300;

/** The text searched for, sent a pause after typing stops (Enter sends it at once), and the scope. */
function Filters() {
    const text = useCachedPrompts((s) => s.text);
    const scope = useCachedPrompts((s) => s.scope);
    const listed = useCachedPrompts((s) => s.scopes);
    // The request history's scopes too: the dashboard's own choice, so both name the same scopes.
    const requested = useCacheStats((s) => s.stats?.scopes);
    const [typed, setTyped] = useState(text);

    useEffect(() => {
        if (typed === text) return;
        const timer = setTimeout(() => void useCachedPrompts.getState().search(typed), SEARCH_DEBOUNCE_MS);
        return () => clearTimeout(timer);
    }, [typed, text]);

    const scopes = [...new Set([...listed, ...(requested ?? []), ...(scope == null ? [] : [scope])])].sort();
    return (
        <form
            role="search"
            className="row cached-prompts-filters"
            onSubmit={(e) => {
                e.preventDefault();
                void useCachedPrompts.getState().search(typed);
            }}
        >
            <input
                type="search"
                className="cached-prompts-search"
                aria-label="Search the cached prompts' text"
                placeholder="Search the text, e.g. a name"
                data-testid="cached-prompts-search"
                value={typed}
                maxLength={CACHED_PROMPTS_SEARCH_MAX}
                onChange={(e) => setTyped(e.target.value)}
                spellCheck={false}
            />
            <ScopeSelect
                scopes={scopes}
                value={scope}
                onChange={(chosen) => void useCachedPrompts.getState().setScope(chosen)}
                label="Scope of the cached prompts"
                testId="cached-prompts-scope"
            />
            <button type="button" className="button" data-testid="cached-prompts-reload" onClick={() => void useCachedPrompts.getState().load()}>
                Reload
            </button>
        </form>
    );
}

/** Previous / Next, with where the page lies ("21–40 of 57"). Ends stay focusable (aria-disabled) so the focus is not lost there. */
function Pager({offset, shown, total}: {offset: number; shown: number; total: number}) {
    const hasPrevious = offset > 0;
    const hasNext = offset + shown < total;
    const goTo = (to: number) => void useCachedPrompts.getState().goTo(to);
    return (
        <nav className="row cached-prompts-pager" aria-label="Pages of cached prompts">
            {hasPrevious || hasNext ? (
                <button
                    type="button"
                    className="button small"
                    data-testid="cached-prompts-previous"
                    aria-disabled={!hasPrevious}
                    onClick={() => {
                        if (hasPrevious) goTo(offset - CACHED_PROMPTS_PAGE_SIZE);
                    }}
                >
                    Previous
                </button>
            ) : null}
            <span className="muted small" data-testid="cached-prompts-range">
                {shown === 0 ? 0 : offset + 1}–{offset + shown} of {total}
            </span>
            {hasPrevious || hasNext ? (
                <button
                    type="button"
                    className="button small"
                    data-testid="cached-prompts-next"
                    aria-disabled={!hasNext}
                    onClick={() => {
                        if (hasNext) goTo(offset + CACHED_PROMPTS_PAGE_SIZE);
                    }}
                >
                    Next
                </button>
            ) : null}
        </nav>
    );
}

/** Pages are cut by position: prompts cached or deleted between two pages shift them (entries repeat or are missed). */
function ListChanged() {
    return (
        <p className="warning small" role="status" data-testid="cached-prompts-changed">
            The list changed since it was loaded: entries may repeat or be missing.{" "}
            <button type="button" className="link-button inline" data-testid="cached-prompts-restart" onClick={() => void useCachedPrompts.getState().goTo(0)}>
                Reload from the first page
            </button>
        </p>
    );
}

/** What an empty list means: nothing cached (in the scope chosen), or nothing holding the text searched. */
function Empty({text, scope}: {text: string; scope: string | null}) {
    const where =
        scope == null ? null : (
            <>
                {" in "}
                <ScopeName scope={scope} />
            </>
        );
    return (
        <p className="muted cached-prompts-empty" data-testid="cached-prompts-empty">
            {text.trim() === "" ? (
                <>Nothing cached{where}</>
            ) : (
                <>
                    No cached prompt{where} holds ‘{text.trim()}’
                </>
            )}
        </p>
    );
}

/**
 * The cached prompts, most recently used first: found by a piece of their text or their scope, and deleted
 * one at a time (one confidential prompt goes without clearing everyone's cache).
 */
export function CachedPromptsPanel() {
    const page = useCachedPrompts((s) => s.page);
    const loadedAt = useCachedPrompts((s) => s.loadedAt);
    const text = useCachedPrompts((s) => s.text);
    const scope = useCachedPrompts((s) => s.scope);
    const offset = useCachedPrompts((s) => s.offset);
    const error = useCachedPrompts((s) => s.error);
    const changed = useCachedPrompts((s) => s.changed);
    const loading = useCachedPrompts((s) => s.loading);
    const deleting = useCachedPrompts((s) => s.deleting);
    const deleted = useCachedPrompts((s) => s.deleted);
    const deleteError = useCachedPrompts((s) => s.deleteError);
    const heading = useRef<HTMLHeadingElement>(null);
    const titleId = useId();

    useEffect(() => void useCachedPrompts.getState().load(), []);

    const remove = async (entry: CachedPrompt): Promise<void> => {
        // The deleted row goes, and the focus with it: the heading takes it, the status line says what happened.
        if (await useCachedPrompts.getState().remove(entry)) heading.current?.focus();
    };

    return (
        <section className="chart-card cached-prompts" data-testid="cached-prompts" aria-labelledby={titleId} aria-busy={loading}>
            <h2 id={titleId} ref={heading} tabIndex={-1}>
                Cached prompts
            </h2>
            <p className="chart-caption">
                The prompts kept with their KV for reuse, most recently used first. Deleting one removes its text and KV for good; the others stay.
            </p>
            <Filters />
            {error ? (
                <p className="form-error" role="alert" data-testid="cached-prompts-error">
                    {error}
                </p>
            ) : null}
            {deleteError ? (
                <p className="form-error" role="alert" data-testid="cached-prompts-delete-error">
                    {deleteError}
                </p>
            ) : null}
            {/* Always there, so a screen reader hears it change. */}
            <p className="saved small cached-prompts-status" role="status" data-testid="cached-prompts-status">
                {deleted ? `Deleted the cached prompt starting “${promptWords(deleted.preview)}”.` : null}
            </p>
            {page == null ? (
                error ? null : (
                    <p className="muted">Loading…</p>
                )
            ) : page.entries.length === 0 ? (
                <Empty text={text} scope={scope} />
            ) : (
                <>
                    <ul className="cached-prompts-list" aria-labelledby={titleId} data-testid="cached-prompts-list">
                        {page.entries.map((entry) => (
                            <CachedPromptRow key={entry.id} entry={entry} now={loadedAt} busy={deleting} onDelete={(e) => void remove(e)} />
                        ))}
                    </ul>
                    {changed ? <ListChanged /> : null}
                    <Pager offset={offset} shown={page.entries.length} total={page.total} />
                </>
            )}
        </section>
    );
}
