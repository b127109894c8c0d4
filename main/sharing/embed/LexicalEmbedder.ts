/**
 * The built-in offline embedder: no model, deterministic, fast. A fresh install works with it, and
 * it is a sound default rather than a stand-in: KV reuse needs shared *tokens*, and shared words,
 * word pairs and character trigrams are exactly what predicts shared tokens.
 *
 * Features (after NFKC + lower-casing, words = runs of Unicode letters/digits):
 * - word unigrams (weight 1): shared vocabulary;
 * - word bigrams (weight 1): shared phrases, i.e. shared token runs — what alignment can reuse;
 * - character trigrams of each word padded with `#` (weight 0.5): inflections and typos
 *   ("sit" / "sitting"), and scripts without spaces (a CJK sentence is one "word", its trigrams
 *   still overlap).
 * Counts are damped (1 + ln tf) so one repeated word cannot dominate, hashed with signed feature
 * hashing (the sign halves the bias that collisions add to dot products) and L2-normalised.
 */
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
const ALGORITHM_VERSION = 1;

/** 32-bit FNV-1a over UTF-16 code units, then a murmur3 finaliser for well-mixed high bits. */
function hash32(s: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}

/** Words of `text`: lower-cased, NFKC-normalised runs of letters, digits and combining marks. */
export function lexicalWords(text: string): string[] {
    return (
        text
            .normalize("NFKC")
            .toLowerCase()
            .match(/[\p{L}\p{N}\p{M}]+/gu) ?? []
    );
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
        // once per distinct word and a bigram's once per distinct pair, so a long prompt, whose words
        // mostly repeat, costs a counter increment per feature instead of a string and a map lookup.
        const features: string[] = [];
        let counts = new Int32Array(256);
        const newFeature = (feature: string): number => {
            if (features.length === counts.length) {
                const grown = new Int32Array(counts.length * 2);
                grown.set(counts);
                counts = grown;
            }
            features.push(feature);
            return features.length - 1;
        };
        const bump = (id: number): void => {
            counts[id] = (counts[id] as number) + 1;
        };
        const trigramIds = new Map<string, number>();
        const words = lexicalWords(text);
        const wordIds = new Map<string, number>();
        const ids = words.map((w) => {
            let id = wordIds.get(w);
            if (id === undefined) {
                id = wordIds.size;
                wordIds.set(w, id);
            }
            return id;
        });
        /** Per distinct word, once met: its unigram feature, then its trigram features (a repeated trigram twice). */
        const wordFeatures: Array<number[] | undefined> = [];
        const bigramIds = new Map<number, number>();
        for (let i = 0; i < words.length; i++) {
            const w = words[i] as string;
            const wordId = ids[i] as number;
            let own = wordFeatures[wordId];
            const first = own === undefined;
            // Prefixes keep the three feature spaces apart ("w:ab" is not the trigram "ab").
            if (own === undefined) {
                own = [newFeature(`w:${w}`)];
                wordFeatures[wordId] = own;
            }
            bump(own[0] as number);
            if (i + 1 < words.length) {
                const key = wordId * words.length + (ids[i + 1] as number);
                let bigram = bigramIds.get(key);
                if (bigram === undefined) {
                    bigram = newFeature(`b:${w} ${words[i + 1] as string}`);
                    bigramIds.set(key, bigram);
                }
                bump(bigram);
            }
            if (first) {
                const padded = [...`#${w}#`]; // code points, so astral characters are not split
                for (let k = 0; k + 3 <= padded.length; k++) {
                    const trigram = `c:${padded[k]}${padded[k + 1]}${padded[k + 2]}`;
                    let id = trigramIds.get(trigram);
                    if (id === undefined) {
                        id = newFeature(trigram);
                        trigramIds.set(trigram, id);
                    }
                    own.push(id);
                }
            }
            for (let k = 1; k < own.length; k++) bump(own[k] as number);
        }
        const v = new Float32Array(this.dimensions);
        for (let f = 0; f < features.length; f++) {
            const feature = features[f] as string;
            const count = counts[f] as number;
            const h = hash32(feature);
            const kind = feature.charCodeAt(0);
            const kindWeight = kind === 0x63 /* c */ ? TRIGRAM_WEIGHT : kind === 0x62 /* b */ ? BIGRAM_WEIGHT : WORD_WEIGHT;
            // Damped term frequency: a word said five times is not five times as telling.
            const value = kindWeight * (1 + Math.log(count));
            const slot = h % this.dimensions;
            v[slot] = (v[slot] as number) + ((h & 0x80000000) !== 0 ? -value : value);
        }
        return normalizeInPlace(v);
    }

    async embed(texts: readonly string[]): Promise<Float32Array[]> {
        return texts.map((t) => this.embedOne(t));
    }
}
