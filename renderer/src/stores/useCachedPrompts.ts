import {create} from "zustand";
import type {CachedPrompt, CachedPromptPage} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";

/** Entries one page of the list shows. */
export const CACHED_PROMPTS_PAGE_SIZE = 20;
/** The longest text the server searches for (it refuses longer ones). */
export const CACHED_PROMPTS_SEARCH_MAX = 500;

interface CachedPromptsState {
    /** The page shown; null until the first answer. */
    page: CachedPromptPage | null;
    /** When the page was fetched: its "last used" times are shown relative to it. */
    loadedAt: number;
    /** The text the entries are searched for ("" none). */
    text: string;
    /** The scope the entries are of (null: every scope). */
    scope: string | null;
    /** Where the page shown starts in the matching entries. */
    offset: number;
    /** Every scope an entry has been listed in, for the scope choice (the request history misses some, e.g. "shared"). */
    scopes: string[];
    loading: boolean;
    /** Why the last load failed (no model loaded, server gone): no page is shown then, none being the one asked for. */
    error: string | null;
    /**
     * The count of entries changed between two pages (prompts cached or deleted meanwhile): pages are cut by
     * position, so entries may repeat or be missed; a load from the first page starts afresh.
     */
    changed: boolean;
    /** A deletion in progress. */
    deleting: boolean;
    /** What the last deletion did, for the status line (the entry's row is gone by then). */
    deleted: CachedPrompt | null;
    /** Why the last deletion was refused: the server's message (a marked shared prefix, say how to remove it). */
    deleteError: string | null;
    /** Fetches the page at the offset, for the text and scope chosen (`pagedFrom`: the count of the page it follows). */
    load: (pagedFrom?: number) => Promise<void>;
    /** Searches for a piece of text (from the first page). */
    search: (text: string) => Promise<void>;
    /** Lists one scope's entries (null: all), from the first page. */
    setScope: (scope: string | null) => Promise<void>;
    /** Goes to the page starting at `offset`. */
    goTo: (offset: number) => Promise<void>;
    /** Deletes one cached prompt and reloads the list; resolves to success. */
    remove: (entry: CachedPrompt) => Promise<boolean>;
}

/**
 * Answers may come back out of order (a search typed on while the last one is running): only the latest
 * request's answer is shown.
 */
let latestRequest = 0;

/** The admin's list of cached prompts (dashboard): found by text or scope, deleted one at a time. */
export const useCachedPrompts = create<CachedPromptsState>()((set, get) => ({
    page: null,
    loadedAt: 0,
    text: "",
    scope: null,
    offset: 0,
    scopes: [],
    loading: false,
    error: null,
    changed: false,
    deleting: false,
    deleted: null,
    deleteError: null,
    load: async (pagedFrom) => {
        const request = ++latestRequest;
        const {text, scope, offset} = get();
        set({loading: true});
        try {
            const page = await getBackend().admin("listCachedPrompts", {
                ...(text.trim() === "" ? {} : {text: text.trim()}),
                ...(scope == null ? {} : {scope}),
                offset,
                limit: CACHED_PROMPTS_PAGE_SIZE
            });
            if (request !== latestRequest) return;
            // A page emptied under it (its last entries deleted, here or elsewhere): the last page that has some.
            if (page.entries.length === 0 && page.total > 0 && offset > 0) {
                set({offset: lastPageStart(page.total)});
                return await get().load(pagedFrom);
            }
            const seen = new Set([...get().scopes, ...page.entries.map((e) => e.scope)]);
            // The first page starts afresh; the pages after it keep the mark once it is set.
            const changed = offset > 0 && (get().changed || (pagedFrom !== undefined && page.total !== pagedFrom));
            set({page, loadedAt: Date.now(), error: null, changed, loading: false, scopes: [...seen].sort()});
        } catch (error) {
            // The rows shown were another search's (or page's): they go, and the error stands alone.
            if (request === latestRequest) set({page: null, error: errorMessage(error), loading: false});
        }
    },
    search: async (text) => {
        set({text, offset: 0, deleted: null, deleteError: null});
        await get().load();
    },
    setScope: async (scope) => {
        set({scope, offset: 0, deleted: null, deleteError: null});
        await get().load();
    },
    goTo: async (offset) => {
        const pagedFrom = get().page?.total;
        set({offset: Math.max(0, offset), deleted: null, deleteError: null});
        await get().load(pagedFrom);
    },
    remove: async (entry) => {
        set({deleting: true, deleted: null, deleteError: null});
        try {
            await getBackend().admin("deleteCachedPrompt", {id: String(entry.id)});
        } catch (error) {
            set({deleting: false, deleteError: errorMessage(error)});
            return false;
        }
        set({deleting: false, deleted: entry});
        await get().load();
        return true;
    }
}));

/** The offset of the last page of `total` entries. */
function lastPageStart(total: number): number {
    return Math.max(0, Math.floor((total - 1) / CACHED_PROMPTS_PAGE_SIZE) * CACHED_PROMPTS_PAGE_SIZE);
}
