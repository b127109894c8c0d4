/**
 * Text-agreement metrics for the sharing bench: ROUGE-L (F1 over the longest common subsequence of
 * words) and sentence BLEU (up to 4-grams, brevity penalty, "exp" smoothing as sacrebleu's default /
 * Chen & Cherry 2014 method 3). Both compare a candidate with one reference; both are 1 for two empty
 * texts (two modes that agree on saying nothing agree).
 *
 * Self-check: `npx tsx bench/share/metrics.ts` (also run at the start of the bench).
 */

import {lcsLength, rougeLOf} from "../../main/insights/agreement.js";

/** Lower-cased words and single punctuation marks. */
export function tokenizeText(text: string): string[] {
    return (
        text
            .normalize("NFKC")
            .toLowerCase()
            .match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []
    );
}

/** Longest common subsequence: the quality monitor's, one definition for both. */
export {lcsLength};

/** ROUGE-L F1 of a candidate against a reference (word level). */
export function rougeL(candidate: string, reference: string): number {
    return rougeLOf(tokenizeText(candidate), tokenizeText(reference));
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
        const key = tokens.slice(i, i + n).join("\u0001");
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
}

/**
 * Sentence BLEU (0..1) with up to `maxN`-grams, clipped counts, brevity penalty, and exp smoothing:
 * the k-th order whose match count is 0 gets precision 1 / (2^k · total) instead of 0.
 */
export function bleu(candidate: string, reference: string, maxN = 4): number {
    const c = tokenizeText(candidate);
    const r = tokenizeText(reference);
    if (c.length === 0 && r.length === 0) return 1;
    if (c.length === 0 || r.length === 0) return 0;
    let logSum = 0;
    let zeroes = 0;
    let orders = 0;
    for (let n = 1; n <= maxN; n++) {
        const total = c.length - n + 1;
        if (total <= 0) break; // candidate shorter than n: average over the orders that exist (as sacrebleu's effective order)
        orders++;
        const cand = ngramCounts(c, n);
        const ref = ngramCounts(r, n);
        let matches = 0;
        for (const [key, count] of cand) matches += Math.min(count, ref.get(key) ?? 0);
        let precision: number;
        if (matches > 0) precision = matches / total;
        else {
            zeroes++;
            precision = 1 / (2 ** zeroes * total);
        }
        logSum += Math.log(precision);
    }
    const brevity = c.length >= r.length ? 1 : Math.exp(1 - r.length / c.length);
    return brevity * Math.exp(logSum / orders);
}

/** Throws when a metric disagrees with hand-computed values. */
export function selfCheck(): void {
    const near = (got: number, want: number, what: string): void => {
        if (!(Math.abs(got - want) < 1e-6)) throw new Error(`metrics self-check failed: ${what}: got ${got}, want ${want}`);
    };
    near(lcsLength(["a", "b", "c", "b", "d", "a", "b"], ["b", "d", "c", "a", "b", "a"]), 4, "LCS of ABCBDAB/BDCABA");
    near(rougeL("the cat sat on the mat", "the cat sat on the mat"), 1, "ROUGE-L identical");
    // LCS("the cat on the mat", "the cat sat on the mat") = 5; P = 5/5, R = 5/6 → F = 10/11
    near(rougeL("the cat on the mat", "the cat sat on the mat"), 10 / 11, "ROUGE-L one deletion");
    near(rougeL("dog barks", "the cat sat"), 0, "ROUGE-L disjoint");
    near(rougeL("", ""), 1, "ROUGE-L both empty");
    near(rougeL("", "x"), 0, "ROUGE-L empty candidate");
    near(bleu("the cat sat on the mat .", "the cat sat on the mat ."), 1, "BLEU identical");
    near(bleu("", "the cat"), 0, "BLEU empty candidate");
    // candidate = reference with one word changed in the middle:
    // c = "the cat sat on a mat" (6), r = "the cat sat on the mat" (6)
    // 1-grams 5/6, 2-grams 3/5, 3-grams 2/4, 4-grams 1/3, BP = 1 → geometric mean
    near(
        bleu("the cat sat on a mat", "the cat sat on the mat"),
        Math.exp((Math.log(5 / 6) + Math.log(3 / 5) + Math.log(2 / 4) + Math.log(1 / 3)) / 4),
        "BLEU one substitution"
    );
    // no 3- or 4-gram matches: c = "a b x c d" vs r = "a b y c d": 1g 4/5, 2g 2/4, 3g 0/3 → 1/(2·3), 4g 0/2 → 1/(4·2)
    near(bleu("a b x c d", "a b y c d"), Math.exp((Math.log(4 / 5) + Math.log(2 / 4) + Math.log(1 / 6) + Math.log(1 / 8)) / 4), "BLEU exp smoothing");
    // brevity: c = "the cat" vs r = "the cat sat": 1g 2/2, 2g 1/1 (orders 1..2 only), BP = e^(1 − 3/2)
    near(bleu("the cat", "the cat sat"), Math.exp(1 - 3 / 2), "BLEU brevity + short candidate");
    near(bleu("The Cat, sat.", "the cat , sat ."), 1, "BLEU tokenisation (case, punctuation)");
}

if (import.meta.url === `file://${process.argv[1]}`) {
    selfCheck();
    console.log("metrics self-check: ok");
}
