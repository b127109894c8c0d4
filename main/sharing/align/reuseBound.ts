/**
 * A cheap upper bound of what {@link alignTokens} can reuse, so that admission can skip aligning a
 * candidate that could not change its outcome. Every kept run is a stretch of target tokens that
 * all occur in the donor, at least `minRunLength` long unless it is the common prefix; summing the
 * stretches of "occurs in the donor" target tokens that could hold such a run bounds the reuse. It
 * costs one pass over each sequence, a fraction of an alignment.
 */
import {DEFAULT_MIN_RUN_LENGTH, type AlignOptions, type TokenSeq} from "./types.js";

/** Token ids below this are marked in a reused byte table; others (never seen in real vocabularies) in a Set. */
const TABLE_LIMIT = 1 << 22;
let table = new Uint8Array(0);

/**
 * At least `alignTokens(donor, target, options).reusedTokens`, for the same options (only
 * `minRunLength` and `keepShortPrefix` matter). Pure as far as callers can tell; synchronous.
 */
export function reuseUpperBound(donor: TokenSeq, target: TokenSeq, options: AlignOptions = {}): number {
    const minRun = options.minRunLength ?? DEFAULT_MIN_RUN_LENGTH;
    const keepShortPrefix = options.keepShortPrefix ?? true;
    let max = -1;
    let small = true;
    for (let i = 0; i < donor.length; i++) {
        const id = donor[i] as number;
        if (!(Number.isInteger(id) && id >= 0 && id < TABLE_LIMIT)) {
            small = false;
            break;
        }
        if (id > max) max = id;
    }
    let has: (id: number) => boolean;
    let set: Set<number> | undefined;
    if (small) {
        if (table.length <= max) table = new Uint8Array(Math.max(max + 1, table.length * 2));
        for (let i = 0; i < donor.length; i++) table[donor[i] as number] = 1;
        const marks = table;
        has = (id) => id >= 0 && id < marks.length && marks[id] === 1;
    } else {
        set = new Set(Array.from(donor));
        const members = set;
        has = (id) => members.has(id);
    }

    let bound = 0;
    let start = 0; // start of the current stretch of tokens that occur in the donor
    for (let j = 0; j <= target.length; j++) {
        if (j < target.length && has(target[j] as number)) continue;
        const length = j - start;
        // Shorter stretches hold no run, except the common prefix (kept however short by default).
        if (length >= minRun || (start === 0 && keepShortPrefix)) bound += length;
        start = j + 1;
    }

    if (small) {
        for (let i = 0; i < donor.length; i++) table[donor[i] as number] = 0;
    }
    return Math.min(bound, donor.length);
}
