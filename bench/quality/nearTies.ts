/**
 * Where an answer parts from full prefill's, how decided full prefill itself was there: the gap between its top
 * two log-probabilities at the first differing token. A greedy answer flips wherever that gap is smaller than the
 * error reused KV leaves in the logits, so misses at near ties say the model's own indecision, not only the
 * policy, sets the agreement a reuse method can reach on it.
 */
import type {Answer, TokenMargin} from "./client.js";

/** A gap under this many nats counts as a near tie (top two within a factor of ~1.65 in probability). */
export const NEAR_TIE_NATS = 0.5;

/** Full prefill's margin at the token where `answer` first differs from it (undefined: no difference, or unknown). */
export function divergenceMargin(answer: Pick<Answer, "text">, reference: Pick<Answer, "text" | "margins">): number | undefined {
    if (answer.text === reference.text || reference.margins == null || reference.margins.length === 0) return undefined;
    const a = [...answer.text];
    const r = [...reference.text];
    let same = 0;
    while (same < a.length && same < r.length && a[same] === r[same]) same++;
    // The reference token holding the first differing character (or the one after its text, where the answer is longer).
    return tokenAt(reference.margins, same)?.margin;
}

function tokenAt(margins: readonly TokenMargin[], offset: number): TokenMargin | undefined {
    let found: TokenMargin | undefined;
    for (const m of margins) {
        if (m.offset > offset) break;
        found = m;
    }
    return found;
}

/** The misses of one setting over a workload's targets, against how often full prefill is that undecided at all. */
export interface NearTieSummary {
    misses: number;
    /** Of the misses with a known margin, those at a near tie. */
    nearTieMisses: number;
    /** Sorted margins at the misses, nats. */
    missMargins: number[];
    /** Share of all of full prefill's output tokens that are near ties. */
    nearTieTokenShare: number;
}

/** Summarises `margins` (one per miss, undefined where unknown) against the references' margins. */
export function summariseNearTies(missMargins: ReadonlyArray<number | undefined>, referenceMargins: ReadonlyArray<readonly TokenMargin[]>): NearTieSummary {
    const known = missMargins.filter((m): m is number => m != null).sort((x, y) => x - y);
    const all = referenceMargins.flat();
    return {
        misses: missMargins.length,
        nearTieMisses: known.filter((m) => m < NEAR_TIE_NATS).length,
        missMargins: known,
        nearTieTokenShare: all.length === 0 ? 0 : all.filter((m) => m.margin < NEAR_TIE_NATS).length / all.length
    };
}
