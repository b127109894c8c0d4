import {create} from "zustand";
import type {CachedPrompt, CachedPromptPage} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {ApiError, errorMessage} from "../backend/errors.js";

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
    /**
     * The cursor of the page shown: it names the page within its listing (the prompts that matched when the first
     * page was fetched), so that paging on repeats and misses none of them. Null: a new listing's first page.
     */
    cursor: string | null;
    /** Every scope an entry has been listed in, for the scope choice (the request history misses some, e.g. "shared"). */
    scopes: string[];
    loading: boolean;
    /** Why the last load failed (no model loaded, server gone): no page is shown then, none being the one asked for. */
    error: string | null;
    /** A deletion in progress. */
    deleting: boolean;
    /** What the last deletion did, for the status line (the entry's row is gone by then). */
    deleted: CachedPrompt | null;
    /** Why the last deletion was refused: the server's message (a marked shared prefix, say how to remove it). */
    deleteError: string | null;
    /** Fetches the page of the cursor again, for the text and scope chosen (its listing's prompts, as they are now). */
    load: () => Promise<void>;
    /** Searches for a piece of text (a new listing, from its first page). */
    search: (text: string) => Promise<void>;
    /** Lists one scope's entries (null: all), a new listing from its first page. */
    setScope: (scope: string | null) => Promise<void>;
    /** Goes to the page of a cursor the page shown gave (null: a new listing's first page, the newest prompts on top). */
    goTo: (cursor: string | null) => Promise<void>;
    /** Deletes one cached prompt and reloads the page; resolves to success. */
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
    cursor: null,
    scopes: [],
    loading: false,
    error: null,
    deleting: false,
    deleted: null,
    deleteError: null,
    load: async () => {
        const request = ++latestRequest;
        const {text, scope, cursor} = get();
        set({loading: true});
        try {
            const page = await getBackend().admin("listCachedPrompts", {
                ...(text.trim() === "" ? {} : {text: text.trim()}),
                ...(scope == null ? {} : {scope}),
                ...(cursor == null ? {} : {cursor}),
                limit: CACHED_PROMPTS_PAGE_SIZE
            });
            if (request !== latestRequest) return;
            // A page emptied under it (its entries deleted, here or elsewhere): the page before it.
            if (page.entries.length === 0 && page.previousCursor != null) {
                set({cursor: page.previousCursor});
                return await get().load();
            }
            const seen = new Set([...get().scopes, ...page.entries.map((e) => e.scope)]);
            set({page, loadedAt: Date.now(), error: null, loading: false, scopes: [...seen].sort()});
        } catch (error) {
            if (request !== latestRequest) return;
            // A cursor the server no longer takes (given out by an older version): the list starts afresh.
            if (cursor != null && error instanceof ApiError && error.code === "invalid_cursor") {
                set({cursor: null});
                return await get().load();
            }
            // The rows shown were another search's (or page's): they go, and the error stands alone.
            set({page: null, error: errorMessage(error), loading: false});
        }
    },
    search: async (text) => {
        set({text, cursor: null, deleted: null, deleteError: null});
        await get().load();
    },
    setScope: async (scope) => {
        set({scope, cursor: null, deleted: null, deleteError: null});
        await get().load();
    },
    goTo: async (cursor) => {
        set({cursor, deleted: null, deleteError: null});
        await get().load();
    },
    remove: async (entry) => {
        set({deleting: true, deleted: null, deleteError: null});
        try {
            await getBackend().admin("deleteCachedPrompt", {id: String(entry.id)});
        } catch (error) {
            // Gone already (deleted in another window, evicted, the cache cleared): said so, and the row goes too.
            const gone = error instanceof ApiError && error.status === 404;
            set({
                deleting: false,
                deleteError: gone ? "That prompt was no longer cached: it was deleted meanwhile (elsewhere, or to make room)." : errorMessage(error)
            });
            if (gone) await get().load();
            return false;
        }
        set({deleting: false, deleted: entry});
        await get().load();
        return true;
    }
}));
