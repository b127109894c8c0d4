/**
 * Real-text fixtures for the sharing tests and the alignment benchmark (not a test file itself).
 * Token ids come from a deterministic word-piece split of TinyStories text, so their distribution
 * (frequent " the", ".", names, rare words) is that of real prompts without loading a model.
 */
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** `../shared/data` beside the repository (laid next to the repo in dev sessions and in CI). */
export const DATA_DIR = path.resolve(here, "../../../shared/data");
export const MODELS_DIR = path.resolve(here, "../../../shared/models");
export const STORIES_260K = path.join(MODELS_DIR, "stories260K.gguf");

/** TinyStories validation text (≈ 800 kB). */
export function tinyStoriesText(): string {
    return fs.readFileSync(path.join(DATA_DIR, "tinystories", "tinystories_validation_head.txt"), "utf8");
}

/** Stories of the TinyStories head file, split on blank lines. */
export function tinyStories(): string[] {
    return tinyStoriesText()
        .split(/\n\s*\n/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

/** QQP question pairs with their duplicate label (first part file only). */
export function qqpPairs(limit = Infinity): Array<{q1: string; q2: string; duplicate: boolean}> {
    const lines = fs
        .readFileSync(path.join(DATA_DIR, "qqp", "qqp_pairs_part1.tsv"), "utf8")
        .split("\n")
        .slice(1);
    const out: Array<{q1: string; q2: string; duplicate: boolean}> = [];
    for (const line of lines) {
        const cols = line.split("\t");
        // Skip the CSV-quoted rows (embedded quotes); plain rows are plenty for tests.
        if (cols.length !== 4 || line.includes('"')) continue;
        out.push({q1: cols[1] as string, q2: cols[2] as string, duplicate: cols[3]?.trim() === "1"});
        if (out.length >= limit) break;
    }
    return out;
}

/** Deterministic word-piece tokenizer: words with their leading space, punctuation runs, newlines. */
export class WordTokenizer {
    private readonly ids = new Map<string, number>();
    encode(text: string): number[] {
        const out: number[] = [];
        for (const piece of text.match(/ ?[\p{L}\p{N}]+| ?[^\s\p{L}\p{N}]+|\s+/gu) ?? []) {
            let id = this.ids.get(piece);
            if (id === undefined) {
                id = this.ids.size + 3; // leave room for "special" ids like a real vocab
                this.ids.set(piece, id);
            }
            out.push(id);
        }
        return out;
    }
}

/**
 * Apply random small edits (replace / insert / delete spans of 1–8 tokens, fresh token ids) until
 * about `fraction` of the tokens are touched. Models paraphrases, swapped names and inserted fields.
 */
export function applyRandomEdits(tokens: readonly number[], fraction: number, rand: () => number, freshIdBase = 1_000_000): number[] {
    const out = tokens.slice();
    let budget = Math.round(tokens.length * fraction);
    let fresh = freshIdBase;
    while (budget > 0) {
        const span = Math.min(budget, 1 + Math.floor(rand() * 8));
        const at = Math.floor(rand() * Math.max(1, out.length - span));
        const kind = rand();
        const newTokens = Array.from({length: span}, () => fresh++);
        if (kind < 0.4) out.splice(at, span, ...newTokens);
        else if (kind < 0.7) out.splice(at, 0, ...newTokens);
        else out.splice(at, span);
        budget -= span;
    }
    return out;
}

/** A window of `length` tokens of real story text starting at story `storyIndex`. */
export function storyTokens(tokenizer: WordTokenizer, stories: readonly string[], storyIndex: number, length: number): number[] {
    const out: number[] = [];
    for (let i = storyIndex; out.length < length && i < stories.length; i++) out.push(...tokenizer.encode((stories[i] as string) + "\n\n"));
    return out.slice(0, length);
}

export {seededRandom} from "./seededRandom.js";
