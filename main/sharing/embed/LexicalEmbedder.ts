/**
 * The built-in offline embedder: no model, deterministic, fast. A fresh install works with it, and
 * it is a sound default rather than a stand-in: KV reuse needs shared *tokens*, and shared words,
 * word pairs and character trigrams are exactly what predicts shared tokens.
 *
 * Features (after NFKC, optional accents and vowel marks dropped, lower-casing; words = runs of Unicode letters/digits,
 * and each emoji or flag letter a word of its own, so a prompt of emoji alone is not an empty vector that shares nothing):
 * - word unigrams (weight 1): shared vocabulary;
 * - word bigrams (weight 1): shared phrases, i.e. shared token runs — what alignment can reuse;
 * - character trigrams of each word padded with `#` (weight 0.5): inflections and typos
 *   ("sit" / "sitting"), and scripts without spaces (a CJK sentence is one "word", its trigrams
 *   still overlap).
 * Counts are damped (1 + ln tf) so one repeated word cannot dominate, hashed with signed feature
 * hashing (the sign halves the bias that collisions add to dot products) and L2-normalised.
 */
import {withoutOptionalMarks} from "../../../shared/foldCase.js";
import {normalizeInPlace, type Embedder} from "./types.js";

/** Options of {@link LexicalEmbedder}. */
export interface LexicalEmbedderOptions {
    /** Vector length (default 384, the size of all-MiniLM-L6-v2 as in KVShare v2). */
    readonly dimensions?: number;
}

const WORD_WEIGHT = 1;
const BIGRAM_WEIGHT = 1;
const TRIGRAM_WEIGHT = 0.5;
/** Bump when features or hashing change, so stores rebuild their index. */
const ALGORITHM_VERSION = 3;

/** FNV-1a's offset basis and prime (32-bit). */
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 code units of `s`, continuing from state `h`. */
function fnv(h: number, s: string): number {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
    return h;
}

/** FNV-1a over one code point's UTF-16 code units (a surrogate pair above the BMP). */
function fnvCodePoint(h: number, cp: number): number {
    if (cp <= 0xffff) return Math.imul(h ^ cp, FNV_PRIME);
    const u = cp - 0x10000;
    return Math.imul(Math.imul(h ^ (0xd800 + (u >> 10)), FNV_PRIME) ^ (0xdc00 + (u & 0x3ff)), FNV_PRIME);
}

/** The murmur3 finaliser, so both the high bit (the sign) and the low bits (the slot) are well mixed. */
function finish(h: number): number {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}

// A feature's hash is FNV-1a of its string ("w:" + word, "b:" + word + " " + word, "c:" + three code
// points), finalised. The strings themselves are never built: the hash runs on from its prefix's state.
const WORD_STATE = fnv(FNV_BASIS, "w:");
const BIGRAM_STATE = fnv(FNV_BASIS, "b:");
const TRIGRAM_STATE = fnv(FNV_BASIS, "c:");
const PAD = 0x23; // "#"

const WORD = 0;
const BIGRAM = 1;
const TRIGRAM = 2;
const KIND_WEIGHT = [WORD_WEIGHT, BIGRAM_WEIGHT, TRIGRAM_WEIGHT] as const;

const ASCII_ONLY = /^[\x00-\x7f]*$/;
const WORD_CHARACTER = /^[\p{L}\p{N}\p{M}]$/u;
/** Variation selectors: U+FE0F turns "❤" into an emoji, or "1" into a keycap's; they are dropped, neither word nor break. */
const VARIATION_SELECTORS = /[\uFE00-\uFE0F]/g;
/** An emoji (skin tones, joiners and selectors between them are left out) or a flag's letter: a word of one character. */
const PICTOGRAPH = /^[\p{Extended_Pictographic}\p{Regional_Indicator}]$/u;
/** ASCII letters (lower-cased by then) and digits. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) ASCII_WORD[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) ASCII_WORD[c] = 1;

/** Words of `text`: lower-cased, NFKC-normalised runs of letters, digits and combining marks, and each emoji alone. */
export function lexicalWords(text: string): string[] {
    // ASCII is its own NFKC form, and its letters, digits and (absent) marks are [a-z0-9] once
    // lower-cased: a scan that asks the Unicode classes only of the other characters gives the same
    // words as the regex /[\p{L}\p{N}\p{M}]+/gu several times faster.
    // Accents and vowel marks a writer may leave out (Arabic harakat, Hebrew points, Latin accents) go: the same
    // question with and without them is one question.
    const normalized = (ASCII_ONLY.test(text) ? text : withoutOptionalMarks(text.normalize("NFKC")).replace(VARIATION_SELECTORS, "")).toLowerCase();
    const words: string[] = [];
    let start = -1;
    for (let i = 0; i < normalized.length;) {
        const c = normalized.charCodeAt(i);
        let width = 1;
        let inWord: boolean;
        if (c < 0x80) inWord = ASCII_WORD[c] === 1;
        else {
            const cp = normalized.codePointAt(i) as number;
            width = cp > 0xffff ? 2 : 1;
            const character = String.fromCodePoint(cp);
            inWord = WORD_CHARACTER.test(character);
            if (!inWord && PICTOGRAPH.test(character)) {
                if (start >= 0) words.push(normalized.slice(start, i));
                words.push(character);
                start = -1;
                i += width;
                continue;
            }
        }
        if (inWord) {
            if (start < 0) start = i;
        } else if (start >= 0) {
            words.push(normalized.slice(start, i));
            start = -1;
        }
        i += width;
    }
    if (start >= 0) words.push(normalized.slice(start));
    return words;
}

/** Features of one text in order of first appearance: kind, operands and occurrence count each. */
class FeatureList {
    size = 0;
    kinds = new Uint8Array(512);
    /** Word: word id; bigram: first word id; trigram: trigram id. */
    first = new Int32Array(512);
    /** Bigram: second word id. */
    second = new Int32Array(512);
    counts = new Int32Array(512);

    add(kind: number, first: number, second: number): number {
        if (this.size === this.kinds.length) this.grow();
        this.kinds[this.size] = kind;
        this.first[this.size] = first;
        this.second[this.size] = second;
        return this.size++;
    }

    bump(feature: number): void {
        this.counts[feature] = (this.counts[feature] as number) + 1;
    }

    private grow(): void {
        const length = this.size * 2;
        const kinds = new Uint8Array(length);
        const first = new Int32Array(length);
        const second = new Int32Array(length);
        const counts = new Int32Array(length);
        kinds.set(this.kinds);
        first.set(this.first);
        second.set(this.second);
        counts.set(this.counts);
        Object.assign(this, {kinds, first, second, counts});
    }
}

/** Offline hashed n-gram embedder (see the module comment). */
export class LexicalEmbedder implements Embedder {
    readonly id: string;
    readonly dimensions: number;

    constructor(options: LexicalEmbedderOptions = {}) {
        const dims = options.dimensions ?? 384;
        if (!Number.isInteger(dims) || dims < 8) throw new RangeError(`dimensions must be an integer ≥ 8, got ${dims}`);
        this.dimensions = dims;
        this.id = `lexical-v${ALGORITHM_VERSION}-${dims}`;
    }

    /** Synchronous core of {@link embed}, for callers that do not need the async interface. */
    embedOne(text: string): Float32Array {
        // Each distinct feature gets an id in order of first appearance, and the vector is summed in
        // that order (float sums depend on it). A word's unigram and trigram features are worked out
        // once per distinct word and a bigram's once per distinct pair, and no feature string is ever
        // built, so a long prompt, whose words mostly repeat, costs a counter increment per feature.
        const words = lexicalWords(text);
        const wordIds = new Map<string, number>();
        const distinct: string[] = [];
        const ids = new Int32Array(words.length);
        for (let i = 0; i < words.length; i++) {
            const w = words[i] as string;
            let id = wordIds.get(w);
            if (id === undefined) {
                id = distinct.length;
                wordIds.set(w, id);
                distinct.push(w);
            }
            ids[i] = id;
        }
        const features = new FeatureList();
        /** Per distinct word, once met: its unigram feature, then its trigram features (a repeated trigram twice). */
        const wordFeatures: Array<number[] | undefined> = [];
        const bigramIds = new Map<number, number>();
        // Trigrams keyed by their three code points: packed into a small integer when each is below
        // 1024 (Latin, Greek, Cyrillic: V8's fastest keys), as a string otherwise.
        const trigramIds = new Map<number, number>();
        const otherTrigramIds = new Map<string, number>();
        const trigrams: number[] = [];
        for (let i = 0; i < words.length; i++) {
            const wordId = ids[i] as number;
            let own = wordFeatures[wordId];
            const first = own === undefined;
            if (own === undefined) {
                own = [features.add(WORD, wordId, 0)];
                wordFeatures[wordId] = own;
            }
            features.bump(own[0] as number);
            if (i + 1 < words.length) {
                const next = ids[i + 1] as number;
                const key = wordId * distinct.length + next;
                let bigram = bigramIds.get(key);
                if (bigram === undefined) {
                    bigram = features.add(BIGRAM, wordId, next);
                    bigramIds.set(key, bigram);
                }
                features.bump(bigram);
            }
            if (first) {
                const w = words[i] as string;
                const padded = [PAD];
                for (const ch of w) padded.push(ch.codePointAt(0) as number);
                padded.push(PAD);
                for (let k = 0; k + 3 <= padded.length; k++) {
                    const a = padded[k] as number;
                    const b = padded[k + 1] as number;
                    const c = padded[k + 2] as number;
                    const small = (a | b | c) < 0x400;
                    const packed = small ? (a << 20) | (b << 10) | c : `${a},${b},${c}`;
                    let id = small ? trigramIds.get(packed as number) : otherTrigramIds.get(packed as string);
                    if (id === undefined) {
                        id = features.add(TRIGRAM, trigrams.length / 3, 0);
                        trigrams.push(a, b, c);
                        if (small) trigramIds.set(packed as number, id);
                        else otherTrigramIds.set(packed as string, id);
                    }
                    own.push(id);
                }
            }
            for (let k = 1; k < own.length; k++) features.bump(own[k] as number);
        }
        const v = new Float32Array(this.dimensions);
        const {kinds, first, second, counts} = features;
        for (let f = 0; f < features.size; f++) {
            const kind = kinds[f] as number;
            let state: number;
            if (kind === WORD) state = fnv(WORD_STATE, distinct[first[f] as number] as string);
            else if (kind === BIGRAM)
                state = fnv(Math.imul(fnv(BIGRAM_STATE, distinct[first[f] as number] as string) ^ 0x20, FNV_PRIME), distinct[second[f] as number] as string);
            else {
                const t = 3 * (first[f] as number);
                state = fnvCodePoint(fnvCodePoint(fnvCodePoint(TRIGRAM_STATE, trigrams[t] as number), trigrams[t + 1] as number), trigrams[t + 2] as number);
            }
            const h = finish(state);
            // Damped term frequency: a word said five times is not five times as telling.
            const value = (KIND_WEIGHT[kind] as number) * (1 + Math.log(counts[f] as number));
            const slot = h % this.dimensions;
            v[slot] = (v[slot] as number) + ((h & 0x80000000) !== 0 ? -value : value);
        }
        return normalizeInPlace(v);
    }

    async embed(texts: readonly string[]): Promise<Float32Array[]> {
        return texts.map((t) => this.embedOne(t));
    }
}
