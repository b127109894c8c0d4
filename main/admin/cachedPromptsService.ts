import type {CachedPrompt, CachedPromptPage} from "../../shared/admin.js";
import {CursorError, cursorMaxLength, neighbourCursors, requestedPage, type ListingFilters} from "../../shared/cachedPromptsListing.js";
import {SharedPrefixEntryError} from "../sharing/cache/DonorCache.js";
import {AdminError, invalidInput} from "./errors.js";
import type {AdminDeps} from "./ports.js";
import type {CacheEntryQuery} from "../sharing/store/index.js";
import {optionalNumber, optionalString, requiredString} from "./validate.js";

/** What the cached-prompt operations use. */
export type CachedPromptsDeps = Pick<AdminDeps, "cache" | "log" | "forgetLiveKv" | "requestLog">;

/** Most cached prompts one page lists. */
const maxPage = 200;

/** The cache, or the 503 an admin can retry: there is none while no model is loaded. */
function loadedCache(deps: CachedPromptsDeps) {
    const cache = deps.cache();
    if (cache == null)
        throw new AdminError("unavailable", "The cached prompts can be listed once a model is loaded; retry when it is ready.", "model_unavailable", null, 5);
    return cache;
}

/** The page a request asks for (see `requestedPage`); a bad cursor, or one beside an offset, is a 400. */
function pageAsked(input: Record<string, unknown>, filters: ListingFilters): Omit<CacheEntryQuery, "limit"> {
    const cursor = optionalString(input.cursor, "cursor", cursorMaxLength) || undefined;
    const offset = optionalNumber(input.offset, "offset", 0, Number.MAX_SAFE_INTEGER);
    try {
        return requestedPage(cursor, offset == null ? undefined : Math.floor(offset), filters);
    } catch (error) {
        if (error instanceof CursorError) throw invalidInput(error.message, error.param, "invalid_cursor");
        throw error;
    }
}

/**
 * GET /kvshare/cache/entries: cached prompts, newest cached first (every model's: those of another model wait for
 * it), of one scope and holding a piece of text (whatever its case) when asked, a page at a time: each page's
 * cursors fetch the pages next to it in the same listing (see shared/cachedPromptsListing.ts). The texts are
 * previews: the machine owner's list, where one confidential prompt can be found and deleted.
 */
export function listCachedPrompts(deps: CachedPromptsDeps, input: Record<string, unknown>): CachedPromptPage {
    const scope = optionalString(input.scope, "scope", 128) || undefined;
    const text = optionalString(input.text, "text", 500) || undefined;
    const filters = {...(scope == null ? {} : {scope}), ...(text == null ? {} : {text})};
    const at = pageAsked(input, filters);
    const limit = optionalNumber(input.limit, "limit", 1, maxPage) ?? 50;
    const cache = loadedCache(deps);
    const page = cache.browse({...filters, ...at, limit: Math.floor(limit)});
    return {
        total: page.total,
        start: page.start,
        entries: page.entries.map((e): CachedPrompt => ({
            id: e.id,
            scope: e.scope,
            ...(e.owner == null ? {} : {sender: e.owner}),
            preview: e.preview,
            characters: e.promptCharacters,
            tokens: e.tokens,
            bytes: e.bytes,
            createdAt: e.createdAt,
            lastUsedAt: e.lastUsedAt,
            hits: e.hitCount,
            currentModel: e.modelFingerprint === cache.modelFingerprint
        })),
        ...neighbourCursors(page, filters),
        newer: page.newer
    };
}

/**
 * DELETE /kvshare/cache/entries/{id}: deletes one cached prompt as thoroughly as clearing the cache does (its
 * text in neither the index nor its log, its KV file and memory copy gone, no sequence holding it, its own
 * request's prompt no longer kept for a quality replay).
 */
export function deleteCachedPrompt(deps: CachedPromptsDeps, input: Record<string, unknown>): {deleted: boolean} {
    const id = Number(requiredString(String(input.id ?? ""), "id", 20, /^\d+$/));
    const cache = loadedCache(deps);
    let removed;
    try {
        removed = cache.purgeEntry(id);
    } catch (error) {
        if (error instanceof SharedPrefixEntryError) throw new AdminError("conflict", error.message, "shared_prefix", "id");
        throw error;
    }
    if (removed == null) throw new AdminError("not_found", `No cached prompt with id ${id}.`, "not_found", "id");
    // Its own request's prompt, kept for a quality replay, holds its text too (and a replay would compute its KV again).
    deps.requestLog.replays.dropOfPrompt(removed.scope, removed.tokens);
    deps.forgetLiveKv?.();
    deps.log.info(`cached prompt ${id} deleted`);
    return {deleted: true};
}
