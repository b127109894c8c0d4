import {useApiKeys} from "../stores/useApiKeys.js";
import {useEffect, useId, useRef, useState} from "react";
import type {CachedPrompt, CachedPromptPage} from "../../../shared/admin.js";
import {useCacheStats} from "../stores/useCacheStats.js";
import {CACHED_PROMPTS_SEARCH_MAX, useCachedPrompts} from "../stores/useCachedPrompts.js";
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

/**
 * Previous / Next, through the pages of one listing, with where the page lies ("21–40 of 57"). Ends stay focusable
 * (aria-disabled) so the focus is not lost there.
 */
function Pager({page}: {page: CachedPromptPage}) {
    const {start, total, nextCursor, previousCursor} = page;
    const shown = page.entries.length;
    const paged = nextCursor != null || previousCursor != null;
    const goTo = (cursor: string | null) => {
        if (cursor != null) void useCachedPrompts.getState().goTo(cursor);
    };
    return (
        <nav className="row cached-prompts-pager" aria-label="Pages of cached prompts">
            {paged ? (
                <button
                    type="button"
                    className="button small"
                    data-testid="cached-prompts-previous"
                    aria-disabled={previousCursor == null}
                    onClick={() => goTo(previousCursor)}
                >
                    Previous
                </button>
            ) : null}
            <span className="muted small" data-testid="cached-prompts-range">
                {shown === 0 ? 0 : start + 1}–{start + shown} of {total}
            </span>
            {paged ? (
                <button
                    type="button"
                    className="button small"
                    data-testid="cached-prompts-next"
                    aria-disabled={nextCursor == null}
                    onClick={() => goTo(nextCursor)}
                >
                    Next
                </button>
            ) : null}
        </nav>
    );
}

/**
 * Prompts cached since the list was loaded: its pages leave them out (that is what keeps them from shifting), so
 * they are counted here, with the way to a list that starts with them.
 */
function Newer({count}: {count: number}) {
    return (
        <p className="muted small" role="status" data-testid="cached-prompts-newer">
            {count === 1 ? "1 prompt was" : `${count} prompts were`} cached since this list was loaded.{" "}
            <button
                type="button"
                className="link-button inline"
                data-testid="cached-prompts-newest"
                onClick={() => void useCachedPrompts.getState().goTo(null)}
            >
                Show the newest
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
 * The cached prompts, newest cached first (an order that hits do not change, so the pages hold still): found by a
 * piece of their text or their scope, and deleted one at a time (one confidential prompt goes without clearing
 * everyone's cache).
 */
export function CachedPromptsPanel() {
    const page = useCachedPrompts((s) => s.page);
    const loadedAt = useCachedPrompts((s) => s.loadedAt);
    const text = useCachedPrompts((s) => s.text);
    const scope = useCachedPrompts((s) => s.scope);
    const error = useCachedPrompts((s) => s.error);
    const loading = useCachedPrompts((s) => s.loading);
    const deleting = useCachedPrompts((s) => s.deleting);
    const deleted = useCachedPrompts((s) => s.deleted);
    const deleteError = useCachedPrompts((s) => s.deleteError);
    const heading = useRef<HTMLHeadingElement>(null);
    const titleId = useId();

    useEffect(() => {
        void useCachedPrompts.getState().load();
        // For the senders' and scopes' names: an issued key sends as its id, the admin knows it by its name.
        void useApiKeys.getState().load();
    }, []);

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
                The prompts kept with their KV for reuse, newest cached first. The pages hold the list as it was loaded, so none repeats or goes missing while
                prompts are cached or reused. Deleting one removes its text and KV for good; the others stay.
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
            {page != null && page.newer > 0 ? <Newer count={page.newer} /> : null}
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
                    <Pager page={page} />
                </>
            )}
        </section>
    );
}
