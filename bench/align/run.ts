/**
 * Alignment benchmark: `npm run bench:align -- [tokens] [iterations]`.
 * Prints the median (and p90) time of `alignTokens` for donor × target pairs of real TinyStories
 * text (word-piece ids, see test/support/testData.ts): similar (≈10% of tokens edited), unrelated, and a
 * low-entropy worst case (16-token vocabulary, where anchors hit everywhere).
 */
import {alignTokens} from "../../main/sharing/align/index.js";
import {applyRandomEdits, seededRandom, storyTokens, tinyStories, WordTokenizer} from "../../test/support/testData.js";

const size = Number(process.argv[2] ?? 2000);
const iterations = Number(process.argv[3] ?? 200);

const tok = new WordTokenizer();
const stories = tinyStories();
const rand = seededRandom(1);
const donor = storyTokens(tok, stories, 0, size);
const lowEntropy = (): number[] => Array.from({length: size}, () => Math.floor(rand() * 16));

const pairs: Array<[string, readonly number[], readonly number[]]> = [
    ["similar (10% edits)", donor, applyRandomEdits(donor, 0.1, rand)],
    ["similar (30% edits)", donor, applyRandomEdits(donor, 0.3, rand)],
    [
        "templated (one 40-token field)",
        donor,
        [...donor.slice(0, size / 2), ...Array.from({length: 40}, (_, i) => 2_000_000 + i), ...donor.slice(size / 2 + 40)]
    ],
    ["unrelated stories", donor, storyTokens(tok, stories, 700, size)],
    ["low-entropy worst case (vocab 16)", lowEntropy(), lowEntropy()]
];

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;

console.log(`alignTokens, ${size} × ${size} tokens, ${iterations} iterations each (after warm-up)`);
for (const [name, a, b] of pairs) {
    for (let i = 0; i < 20; i++) alignTokens(a, b); // JIT warm-up
    const times: number[] = [];
    let reused = 0;
    for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        reused = alignTokens(a, b).reusedTokens;
        times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    console.log(
        `${name.padEnd(36)} median ${percentile(times, 0.5).toFixed(3)} ms  p90 ${percentile(times, 0.9).toFixed(3)} ms  ` +
            `reused ${reused}/${b.length} (${((100 * reused) / b.length).toFixed(1)}%)`
    );
}
