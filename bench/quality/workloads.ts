/**
 * The quality bench's workloads: the sharing bench's donor/target sequences (TinyStories swaps, COVID-Q
 * paraphrases, QQP duplicates, clinic letters), plus TinyStories inserts, where the target is its donor
 * with one sentence of another story put in the middle (every kept token after the insert sits at a
 * new position and sees new context: the case recompute is for).
 */
import {readFileSync} from "node:fs";
import {dataFile, rng, shuffled} from "../share/data.js";
import {clinicLetters, covidReplay, qqpPairs, storySwaps, type BenchRequest, type Workload} from "../share/workloads.js";

/** How many donor/target pairs (or classes, letters) each workload gets. */
export interface QualitySizes {
    storySwaps: number;
    storyInserts: number;
    covidClasses: number;
    covidPerClass: number;
    qqpDup: number;
    letters: number;
}

export const FULL_QUALITY_SIZES: QualitySizes = {storySwaps: 15, storyInserts: 15, covidClasses: 8, covidPerClass: 5, qqpDup: 15, letters: 12};
/**
 * `--scale K`: K times as many pairs (COVID-Q classes, letters) per workload. Each workload draws its pairs
 * in a fixed order, so the scaled set holds the default one: the intervals narrow (about as 1/√K) on the
 * same targets plus new ones.
 */
export function scaledSizes(sizes: QualitySizes, scale: number): QualitySizes {
    return {
        storySwaps: sizes.storySwaps * scale,
        storyInserts: sizes.storyInserts * scale,
        covidClasses: sizes.covidClasses * scale,
        covidPerClass: sizes.covidPerClass,
        qqpDup: sizes.qqpDup * scale,
        // One letter is the seed; the others are targets.
        letters: (sizes.letters - 1) * scale + 1
    };
}

/** --quick: the two story workloads only, a few targets each (the other counts are unused). */
export const QUICK_QUALITY_SIZES: QualitySizes = {storySwaps: 3, storyInserts: 3, covidClasses: 0, covidPerClass: 0, qqpDup: 0, letters: 0};

// Not the sharing bench's seed: the inserts draw their own paragraphs.
const SEED = 20250317;

/** Sentence ends (index just after the punctuation and any closing quote) followed by whitespace. */
function sentenceEnds(text: string): number[] {
    const ends: number[] = [];
    const re = /[.!?]["”]?(?=\s)/g;
    for (let m = re.exec(text); m != null; m = re.exec(text)) ends.push(m.index + m[0].length);
    return ends;
}

/** The paragraph cut at the last sentence end in [min, max] characters, or undefined. */
function cutAtSentence(text: string, min: number, max: number): string | undefined {
    const end = sentenceEnds(text)
        .filter((e) => e >= min && e <= max)
        .at(-1);
    if (end != null) return text.slice(0, end);
    return text.length >= min && text.length <= max ? text : undefined;
}

/** Sentences of a paragraph (split at the ends {@link sentenceEnds} finds). */
function sentences(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (const end of [...sentenceEnds(text), text.length]) {
        const s = text.slice(start, end).trim();
        if (s !== "") out.push(s);
        start = end;
    }
    return out;
}

/**
 * TinyStories validation paragraphs cut to 220–360 characters at a sentence end, asked as-is (donor),
 * then with one sentence of another story (25–100 characters, not a story opening) inserted at the
 * middle sentence boundary (target).
 */
export function storyInserts(count: number): Workload {
    const paragraphs = readFileSync(dataFile("tinystories", "tinystories_validation_head.txt"), "utf8")
        .split(/\n\s*\n/)
        .map((p) => p.trim())
        .filter((p) => p.startsWith("Once upon a time"));
    const random = rng(SEED);
    const order = shuffled(paragraphs, random);
    const requests: BenchRequest[] = [];
    let pairs = 0;
    for (const [index, paragraph] of order.entries()) {
        if (pairs >= count) break;
        const cut = cutAtSentence(paragraph, 220, 360);
        if (cut == null) continue;
        const ends = sentenceEnds(cut).filter((e) => e < cut.length);
        if (ends.length < 2) continue;
        const at = ends[Math.floor(ends.length / 2)] as number;
        // Another story's sentence: from the paragraph half the list away, so no two pairs share one.
        const source = order[(index + Math.floor(order.length / 2)) % order.length] ?? "";
        const inserted = sentences(source).find((s) => s.length >= 25 && s.length <= 100 && !s.startsWith("Once upon") && !cut.includes(s));
        if (inserted == null) continue;
        const target = `${cut.slice(0, at)} ${inserted}${cut.slice(at)}`;
        const meta = {insertAt: at, inserted};
        requests.push({id: `i${pairs}-orig`, role: "seed", api: "completions", prompt: cut, meta});
        requests.push({id: `i${pairs}-insert`, role: "target", api: "completions", prompt: target, meta});
        pairs++;
    }
    return {
        name: "tinystories_insert",
        description: `TinyStories prompts: ${pairs} originals, each followed by a copy with another story's sentence inserted in the middle`,
        headline: false,
        requests
    };
}

/**
 * The workloads in bench order. --quick: the story workloads only (stories260K continues stories
 * sensibly, so they are the most telling few targets).
 */
export function qualityWorkloads(sizes: QualitySizes, quick: boolean): Workload[] {
    const stories = [storySwaps(sizes.storySwaps), storyInserts(sizes.storyInserts)];
    if (quick) return stories;
    return [...stories, covidReplay(sizes.covidClasses, sizes.covidPerClass), qqpPairs(sizes.qqpDup, true), clinicLetters(sizes.letters)];
}
