import type {CachedPrompt} from "../../../shared/admin.js";
import {useCachedPrompts} from "../stores/useCachedPrompts.js";

/** A cached prompt as the server lists it; a larger id was cached later (the list's order: newest cached first). */
export function cachedPrompt(id: number, preview: string, more: Partial<CachedPrompt> = {}): CachedPrompt {
    return {
        id,
        scope: "global",
        preview,
        characters: preview.length,
        tokens: 10,
        bytes: 2048,
        createdAt: 1_700_000_000_000 + id,
        lastUsedAt: 1_700_000_000_000 + id,
        hits: 0,
        currentModel: true,
        ...more
    };
}

/** The cached prompts' store as a fresh page finds it. */
export function resetCachedPrompts(): void {
    useCachedPrompts.setState({
        page: null,
        text: "",
        scope: null,
        cursor: null,
        scopes: [],
        error: null,
        deleting: false,
        deleted: null,
        deleteError: null
    });
}
