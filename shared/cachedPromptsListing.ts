/**
 * How the admin's list of cached prompts is searched and paged: one implementation for the server and for the
 * renderer's fake of it.
 *
 * The order is stable: newest cached first, by id (ids only grow and are never reused). The order a prompt's last
 * use gives cannot be paged without entries repeating or going missing (a hit moves a prompt to the top between two
 * pages), so it is not the list's order. A listing is what matched when its first page was fetched: its cursors keep
 * the newest id then, so prompts cached later stay out of its pages (they are counted, for a new listing to show),
 * and each cursor names the entry a page ends or begins with, not a position, so a deletion skips nothing either.
 */

/** Which listing a cursor belongs to, and which of its pages it fetches (one of `before` and `after`). */
export interface ListingPage {
    /** The greatest id when the listing began: prompts cached since (greater ids) are not in its pages. */
    readonly newest: number;
    /** The page of the entries just older than this id: the one after a page that ends with it. */
    readonly before?: number;
    /** The page of the entries just newer than this id: the one before a page that starts with it (0: the last page). */
    readonly after?: number;
}

/** The search a listing answers: a cursor is good for that search only. */
export interface ListingFilters {
    readonly scope?: string | undefined;
    readonly text?: string | undefined;
}

/** Where a page lies among a listing's entries, and where the pages next to it are. */
export interface PageWindow {
    /** Index of the page's first entry. */
    readonly start: number;
    /** Index just past its last entry. */
    readonly end: number;
    /** `before` of the next page; null on the last page. */
    readonly nextBefore: number | null;
    /** `after` of the previous page; null on the first page. */
    readonly previousAfter: number | null;
}

/**
 * The page of `ids` (a listing's matching ids, newest first) that `at` asks for: the `limit` entries older than
 * `before`, or newer than `after`, or from the start; `offset` skips some more (the paging by position that came
 * before cursors). A previous page that runs short (entries above it were deleted) is filled from below instead,
 * so that the first page is always a full one.
 */
export function pageWindow(ids: readonly number[], at: Omit<ListingPage, "newest"> & {readonly offset?: number}, limit: number): PageWindow {
    let start: number;
    if (at.after != null) start = Math.max(0, olderThan(ids, at.after + 1) - limit);
    else start = Math.min(ids.length, (at.before == null ? 0 : olderThan(ids, at.before)) + (at.offset ?? 0));
    const end = Math.min(ids.length, start + limit);
    return {
        start,
        end,
        nextBefore: end < ids.length ? (ids[end - 1] ?? null) : null,
        // Past the end (its entries deleted), the page before is the listing's last: the one just newer than 0.
        previousAfter: start === 0 ? null : (ids[start] ?? 0)
    };
}

/** Index of the first id less than `bound` in ids sorted newest (greatest) first; the length when there is none. */
function olderThan(ids: readonly number[], bound: number): number {
    let low = 0;
    let high = ids.length;
    while (low < high) {
        const middle = (low + high) >>> 1;
        if ((ids[middle] as number) < bound) high = middle;
        else low = middle + 1;
    }
    return low;
}

/** A cursor that this list did not give out, or that was given out for another search, or an offset beside one. */
export class CursorError extends Error {
    public constructor(
        message: string,
        /** The request's field at fault. */
        public readonly param: "cursor" | "offset" = "cursor"
    ) {
        super(message);
        this.name = "CursorError";
    }
}

/** The most characters of a cursor: those given out have under a hundred. */
export const cursorMaxLength = 200;

/**
 * The page a request asks for: its `cursor`'s, else a new listing's first, `offset` entries in. Throws a
 * {@link CursorError} for a bad cursor, or for both (a cursor names its page).
 */
export function requestedPage(cursor: string | undefined, offset: number | undefined, filters: ListingFilters): Partial<ListingPage> & {offset?: number} {
    if (cursor == null) return offset == null ? {} : {offset};
    if (offset != null) throw new CursorError("'offset' cannot be combined with 'cursor': the cursor names its page.", "offset");
    return decodeCursor(cursor, filters);
}

/** The cursors of the pages next to one of a listing (see {@link PageWindow}). */
export function neighbourCursors(
    page: Pick<PageWindow, "nextBefore" | "previousAfter"> & {readonly newest: number},
    filters: ListingFilters
): {nextCursor: string | null; previousCursor: string | null} {
    return {
        nextCursor: page.nextBefore == null ? null : encodeCursor({newest: page.newest, before: page.nextBefore}, filters),
        previousCursor: page.previousAfter == null ? null : encodeCursor({newest: page.newest, after: page.previousAfter}, filters)
    };
}

/** Payload layout of a cursor; a change of layout takes a new version. */
const cursorVersion = 1;

/** The opaque `cursor` that fetches `page` of a listing of `filters`. */
export function encodeCursor(page: ListingPage, filters: ListingFilters): string {
    const payload = {v: cursorVersion, n: page.newest, ...(page.before == null ? {a: page.after ?? 0} : {b: page.before}), f: filtersKey(filters)};
    return btoa(JSON.stringify(payload)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The page a cursor fetches; throws a {@link CursorError} for one that is malformed or of another search than `filters`. */
export function decodeCursor(cursor: string, filters: ListingFilters): ListingPage {
    const payload = cursorPayload(cursor);
    const id = (key: string): number | undefined => {
        const value = payload?.[key];
        return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
    };
    const [newest, before, after] = [id("n"), id("b"), id("a")];
    if (payload?.v !== cursorVersion || newest == null || (before == null) === (after == null) || typeof payload.f !== "string")
        throw new CursorError("'cursor' is not one this list gave out: list again without it, from the first page.");
    if (payload.f !== filtersKey(filters))
        throw new CursorError("'cursor' belongs to another search: send it with the scope and text it came with, or list again without it.");
    return before == null ? {newest, after: after as number} : {newest, before};
}

/** The JSON object a cursor encodes, or undefined when it encodes none. */
function cursorPayload(cursor: string): Record<string, unknown> | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
    try {
        const parsed: unknown = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
        return typeof parsed === "object" && parsed != null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/** A short hash of the search (FNV-1a): it tells a cursor used with another search, it guards nothing secret. */
function filtersKey(filters: ListingFilters): string {
    const text = JSON.stringify([filters.scope ?? null, filters.text ?? null]);
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    return (hash >>> 0).toString(36);
}
