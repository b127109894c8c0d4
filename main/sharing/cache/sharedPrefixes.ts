/** The admin-marked shared prefixes in the donor cache: one entry per form of each marked text, in the shared scope. */
import type {Token} from "node-llama-cpp";
import type {Logger} from "../../common/log.js";
import type {CapturedState} from "../../kv/index.js";
import type {Embedder} from "../embed/index.js";
import {sharedScope} from "../engine/scopes.js";
import type {CacheEntry} from "../store/index.js";

/** An admin-marked shared prefix in the index, with its text's vector (a candidate for every prompt). */
export interface SharedPrefixEntry {
    entry: CacheEntry;
    vector: Float32Array;
}

/** What the shared prefixes are made from (part of the donor cache's options). */
export interface SharedPrefixOptions {
    embedder: Embedder;
    /** The admin-marked shared prefix texts and the minimum kept-run length, read live. */
    sharedPrefixSettings(): {texts: readonly string[]; minRunLength: number};
    /** The token forms a shared prefix text takes in prompts (as a chat system prompt, as raw text). */
    sharedPrefixForms(text: string): Array<readonly Token[]>;
    /** Computes the KV of tokens alone, or undefined where KV editing is off (then prefixes are not stored). */
    prefill?: (tokens: readonly Token[]) => Promise<CapturedState>;
    log: Logger;
}

/** The donor cache's shared scope, as the sync sees it. */
export interface SharedScopeEntries {
    entries(): CacheEntry[];
    /** Deletes an entry as thoroughly as a purge. */
    erase(id: number): void;
    has(tokens: readonly Token[]): boolean;
    add(captured: CapturedState, prompt: {tokens: readonly Token[]; text: string; scope: string; embedding: Float32Array | null}): Promise<void>;
}

/**
 * Makes the shared scope hold exactly the admin-marked shared prefixes: computes the KV of each marked text
 * alone and stores it; drops entries of texts no longer marked. Needs KV editing (a prefix donor is reused
 * through the edit path).
 * @returns the marked prefixes' entries with their texts' vectors
 */
export async function syncSharedPrefixes(options: SharedPrefixOptions, scope: SharedScopeEntries): Promise<SharedPrefixEntry[]> {
    const {prefill} = options;
    const {texts, minRunLength} = options.sharedPrefixSettings();
    for (const entry of scope.entries()) {
        // As thoroughly as a purge: an unmarked text (a clinic's template with a name in it) leaves no trace.
        if (!texts.includes(entry.promptText)) scope.erase(entry.id);
    }
    if (texts.length > 0 && prefill == null)
        options.log.warn("shared prefixes are marked, but KV editing is off: they are shared only through each scope's own cache");
    const vectors = new Map<string, Float32Array>();
    for (const text of texts) {
        const embedding = (await options.embedder.embed([text]))[0] ?? null;
        if (embedding != null) vectors.set(text, embedding);
        if (prefill == null) continue;
        for (const tokens of options.sharedPrefixForms(text)) {
            if (tokens.length < 2 * minRunLength) continue;
            if (scope.has(tokens)) continue;
            await scope.add(await prefill(tokens), {tokens, text, scope: sharedScope, embedding});
        }
    }
    return scope.entries().flatMap((entry) => {
        const vector = vectors.get(entry.promptText);
        return vector == null ? [] : [{entry, vector}];
    });
}

/** Deleting a marked shared prefix's entry is refused: the settings mark it, and it would be put back. */
export class SharedPrefixEntryError extends Error {
    public constructor() {
        super("This cached prompt is a marked shared prefix: unmark it in the settings (shared prefixes) to remove it.");
        this.name = "SharedPrefixEntryError";
    }
}
