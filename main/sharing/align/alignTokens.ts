/**
 * Token alignment between a donor's token ids and a target's token ids (KVShare).
 *
 * Why not Levenshtein: the paper's v1 ran an O(m·n) DP; at 2k × 2k tokens that is 4M cells, tens of
 * milliseconds in JS, on every request. We follow v2's idea instead (Rabin–Karp anchors) and keep
 * the output monotonic, because the KV editing layer builds the target left to right:
 *
 * 1. strip the common prefix and suffix (the usual case — templated prompts, multi-turn chat — costs
 *    O(n) and never reaches step 2);
 * 2. hash every donor window of `minRunLength` tokens, slide the same window over the target, and
 *    extend each verified hit into a *maximal* diagonal run (only at run starts, so each run is
 *    extended once);
 * 3. pick runs longest-first, recursing left and right of each pick (as difflib's SequenceMatcher
 *    does), clipping the candidate runs to each sub-rectangle. The result is monotonic in both
 *    sequences and non-overlapping by construction.
 *
 * Cost is O(n + m + hits + runs × depth); for unrelated text almost no window hits, for similar
 * text the runs are few and long. See `bench.ts` for numbers.
 */
import type {KeptRun} from "../../kv/index.js";
import {DEFAULT_MIN_RUN_LENGTH, type AlignOptions, type Alignment, type EditOp, type TokenSeq} from "./types.js";

const DEFAULT_MAX_CANDIDATES = 32;
/** Multiplier of the polynomial rolling hash (odd, so it is invertible mod 2^32). */
const HASH_BASE = 0x01000193;

/**
 * Align `donor` to `target`: kept runs of equal tokens (monotonic, non-overlapping, each ≥
 * `minRunLength`), the keep/replace/insert/delete script between them, and the reused-token count.
 * Pure and synchronous; never throws for any pair of token sequences.
 */
export function alignTokens(donor: TokenSeq, target: TokenSeq, options: AlignOptions = {}): Alignment {
    const minRun = options.minRunLength ?? DEFAULT_MIN_RUN_LENGTH;
    if (!Number.isInteger(minRun) || minRun < 1) throw new RangeError(`minRunLength must be a positive integer, got ${minRun}`);
    const keepShortPrefix = options.keepShortPrefix ?? true;
    const maxCandidates = Math.max(1, options.maxCandidatesPerWindow ?? DEFAULT_MAX_CANDIDATES);
    const n = donor.length;
    const m = target.length;
    const runs: KeptRun[] = [];

    // 1. Common prefix: exact reuse (same left context), the cheapest and best case.
    const limit = Math.min(n, m);
    let prefix = 0;
    while (prefix < limit && donor[prefix] === target[prefix]) prefix++;
    const lo = prefix >= minRun || (keepShortPrefix && prefix > 0) ? prefix : 0;
    if (lo > 0) runs.push({donorStart: 0, targetStart: 0, length: lo});

    // Common suffix of what is left; only stripped when it is a run worth keeping, otherwise the
    // middle search may still extend a longer run into it.
    let suffix = 0;
    const suffixLimit = Math.min(n, m) - lo;
    while (suffix < suffixLimit && donor[n - 1 - suffix] === target[m - 1 - suffix]) suffix++;
    const stripSuffix = suffix >= minRun;
    const donorHi = stripSuffix ? n - suffix : n;
    const targetHi = stripSuffix ? m - suffix : m;

    // 2–3. The middle.
    if (donorHi - lo >= minRun && targetHi - lo >= minRun) {
        const candidates = findMaximalRuns(donor, target, lo, donorHi, lo, targetHi, minRun, maxCandidates);
        if (candidates.count > 0) selectRuns(candidates, lo, donorHi, lo, targetHi, minRun, runs);
    }

    if (stripSuffix) runs.push({donorStart: n - suffix, targetStart: m - suffix, length: suffix});

    runs.sort((a, b) => a.targetStart - b.targetStart);
    return buildAlignment(runs, n, m);
}

/** Maximal diagonal runs (≥ minRun) found by window hashing, as parallel arrays. */
interface Candidates {
    readonly donorStart: Int32Array;
    readonly targetStart: Int32Array;
    readonly length: Int32Array;
    readonly count: number;
}

/** base^(w−1) mod 2^32, the weight of the token leaving the rolling window. */
function outgoingWeight(w: number): number {
    let pow = 1;
    for (let i = 1; i < w; i++) pow = Math.imul(pow, HASH_BASE);
    return pow;
}

/** Hash of `seq[start, start+w)`, polynomial mod 2^32. */
function windowHash(seq: TokenSeq, start: number, w: number): number {
    let h = 0;
    for (let i = 0; i < w; i++) h = (Math.imul(h, HASH_BASE) + (seq[start + i] as number)) | 0;
    return h;
}

/**
 * Every maximal run of equal tokens of length ≥ `w` between `donor[d0, d1)` and `target[t0, t1)`
 * (subject to the per-window candidate cap). A hit (i, j) is extended only when it starts a run
 * (the tokens before it differ or lie outside the region), so each run is found and extended once.
 */
function findMaximalRuns(donor: TokenSeq, target: TokenSeq, d0: number, d1: number, t0: number, t1: number, w: number, maxCandidates: number): Candidates {
    const windows = d1 - d0 - w + 1;
    // Open hashing with chains in typed arrays: no per-window allocation, which is what keeps
    // 2k-token alignment well under a millisecond.
    let size = 16;
    while (size < windows * 2) size <<= 1;
    const mask = size - 1;
    const head = new Int32Array(size).fill(-1);
    const next = new Int32Array(windows);
    const hashes = new Int32Array(windows);
    const pow = outgoingWeight(w);

    let h = windowHash(donor, d0, w);
    // Insert from the last window to the first so each chain lists donor positions in increasing
    // order: under the candidate cap the earliest occurrences are tried first.
    for (let i = 0; i < windows; i++) {
        hashes[i] = h;
        if (i + 1 < windows) h = (Math.imul((h - Math.imul(donor[d0 + i] as number, pow)) | 0, HASH_BASE) + (donor[d0 + i + w] as number)) | 0;
    }
    for (let i = windows - 1; i >= 0; i--) {
        const hi = hashes[i] as number;
        const b = (Math.imul(hi, 0x9e3779b1) >>> 0) & mask;
        next[i] = head[b] as number;
        head[b] = i;
    }

    let cap = 64;
    let ds: Int32Array<ArrayBuffer> = new Int32Array(cap);
    let ts: Int32Array<ArrayBuffer> = new Int32Array(cap);
    let ls: Int32Array<ArrayBuffer> = new Int32Array(cap);
    let count = 0;

    const targetWindows = t1 - t0 - w + 1;
    let ht = windowHash(target, t0, w);
    for (let j = 0; j < targetWindows; j++) {
        const tj = t0 + j;
        const b = (Math.imul(ht, 0x9e3779b1) >>> 0) & mask;
        let examined = 0;
        for (let i = head[b] as number; i !== -1 && examined < maxCandidates; i = next[i] as number) {
            if (hashes[i] !== ht) continue;
            examined++;
            const di = d0 + i;
            // Not a run start: this hit is inside a run found (and extended) from an earlier hit.
            if (di > d0 && tj > t0 && donor[di - 1] === target[tj - 1]) continue;
            let len = 0;
            while (di + len < d1 && tj + len < t1 && donor[di + len] === target[tj + len]) len++;
            if (len < w) continue; // hash collision
            if (count === cap) {
                cap *= 2;
                ds = grow(ds, cap);
                ts = grow(ts, cap);
                ls = grow(ls, cap);
            }
            ds[count] = di;
            ts[count] = tj;
            ls[count] = len;
            count++;
        }
        if (j + 1 < targetWindows) ht = (Math.imul((ht - Math.imul(target[tj] as number, pow)) | 0, HASH_BASE) + (target[tj + w] as number)) | 0;
    }
    return {donorStart: ds, targetStart: ts, length: ls, count};
}

function grow(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
    const b = new Int32Array(size);
    b.set(a);
    return b;
}

/**
 * Longest-first selection of non-overlapping, monotonic runs inside the rectangle
 * `[d0, d1) × [t0, t1)`, appended to `out` (unsorted). An explicit stack replaces recursion so
 * pathological inputs cannot overflow the call stack.
 */
function selectRuns(c: Candidates, d0: number, d1: number, t0: number, t1: number, minRun: number, out: KeptRun[]): void {
    interface Rect {
        d0: number;
        d1: number;
        t0: number;
        t1: number;
        ids: Int32Array;
    }
    const all = new Int32Array(c.count);
    for (let i = 0; i < c.count; i++) all[i] = i;
    const stack: Rect[] = [{d0, d1, t0, t1, ids: all}];

    while (stack.length > 0) {
        const r = stack.pop() as Rect;
        let bestLen = 0;
        let bestStart = 0; // donor position of the clipped best run
        let bestDiag = 0; // targetStart − donorStart
        for (let k = 0; k < r.ids.length; k++) {
            const id = r.ids[k] as number;
            const diag = (c.targetStart[id] as number) - (c.donorStart[id] as number);
            const s = Math.max(c.donorStart[id] as number, r.d0, r.t0 - diag);
            const e = Math.min((c.donorStart[id] as number) + (c.length[id] as number), r.d1, r.t1 - diag);
            const len = e - s;
            // Ties: prefer the earlier target position, so equal runs resolve deterministically.
            if (len > bestLen || (len === bestLen && len > 0 && s + diag < bestStart + bestDiag)) {
                bestLen = len;
                bestStart = s;
                bestDiag = diag;
            }
        }
        if (bestLen < minRun) continue;
        out.push({donorStart: bestStart, targetStart: bestStart + bestDiag, length: bestLen});

        const left: Rect = {d0: r.d0, d1: bestStart, t0: r.t0, t1: bestStart + bestDiag, ids: r.ids};
        const right: Rect = {d0: bestStart + bestLen, d1: r.d1, t0: bestStart + bestDiag + bestLen, t1: r.t1, ids: r.ids};
        for (const sub of [left, right]) {
            if (sub.d1 - sub.d0 < minRun || sub.t1 - sub.t0 < minRun) continue;
            // Keep only candidates that still clip to a long-enough run inside the sub-rectangle.
            const kept = new Int32Array(r.ids.length);
            let n = 0;
            for (let k = 0; k < r.ids.length; k++) {
                const id = r.ids[k] as number;
                const diag = (c.targetStart[id] as number) - (c.donorStart[id] as number);
                const s = Math.max(c.donorStart[id] as number, sub.d0, sub.t0 - diag);
                const e = Math.min((c.donorStart[id] as number) + (c.length[id] as number), sub.d1, sub.t1 - diag);
                if (e - s >= minRun) kept[n++] = id;
            }
            if (n > 0) stack.push({...sub, ids: kept.subarray(0, n)});
        }
    }
}

/** The edit script and summary for sorted, non-overlapping runs. */
function buildAlignment(runs: KeptRun[], n: number, m: number): Alignment {
    const ops: EditOp[] = [];
    let keep = 0,
        replace = 0,
        insert = 0,
        del = 0;
    let d = 0,
        t = 0;
    const gap = (dEnd: number, tEnd: number): void => {
        const gd = dEnd - d,
            gt = tEnd - t;
        const rep = Math.min(gd, gt);
        if (rep > 0) {
            ops.push({op: "replace", donorStart: d, targetStart: t, length: rep});
            replace += rep;
        }
        if (gd > rep) {
            ops.push({op: "delete", donorStart: d + rep, targetStart: t + rep, length: gd - rep});
            del += gd - rep;
        }
        if (gt > rep) {
            ops.push({op: "insert", donorStart: d + rep, targetStart: t + rep, length: gt - rep});
            insert += gt - rep;
        }
    };
    for (const run of runs) {
        gap(run.donorStart, run.targetStart);
        ops.push({op: "keep", donorStart: run.donorStart, targetStart: run.targetStart, length: run.length});
        keep += run.length;
        d = run.donorStart + run.length;
        t = run.targetStart + run.length;
    }
    gap(n, m);
    return {
        runs,
        ops,
        summary: {keep, replace, insert, delete: del},
        reusedTokens: keep,
        donorLength: n,
        targetLength: m
    };
}
