/**
 * Donor candidates reduced to what the what-if curves need: for each retrieved candidate its
 * similarity and the prompt tokens it would let the request reuse. Only the Pareto frontier matters
 * (a candidate less similar and less useful than another never wins at any threshold), so a request
 * keeps at most `topK` small pairs.
 */
import {alignTokens, reuseUpperBound, type Alignment, type TokenSeq} from "../align/index.js";

/** `[similarity, reusable tokens]` of one candidate. */
export type CandidatePoint = readonly [similarity: number, reusable: number];

/**
 * The similarity recorded for candidates no threshold filters out (exact hits, admin-marked shared
 * prefixes): above any threshold an admin can set.
 */
export const alwaysEligible = 2;

/** The candidates that win at some threshold: similarity descending, reusable tokens strictly rising. */
export function candidateFrontier(points: Iterable<CandidatePoint>): CandidatePoint[] {
    const sorted = [...points].filter(([, reusable]) => reusable > 0).sort((a, b) => b[0] - a[0] || b[1] - a[1]);
    const frontier: CandidatePoint[] = [];
    let best = 0;
    for (const [similarity, reusable] of sorted) {
        if (reusable <= best) continue;
        best = reusable;
        frontier.push([Math.round(similarity * 10_000) / 10_000, reusable]);
    }
    return frontier;
}

/** One retrieved candidate, as {@link alignCandidates} sees it. */
export interface CandidateInput {
    /** The donor's tokens. */
    tokens: TokenSeq;
    /** Its similarity to the prompt, or {@link alwaysEligible}. */
    similarity: number;
    /** Whether it may be the donor (always eligible, or at or above the threshold). */
    eligible: boolean;
    /** Its alignment, when the caller has it already. */
    alignment?: Alignment;
}

/** What {@link alignCandidates} found. */
export interface AlignedCandidates {
    /** Each candidate's alignment; undefined where it was skipped (it could change neither result). */
    alignments: Array<Alignment | undefined>;
    /** Index of the donor: the first eligible candidate (in input order) reusing the most tokens, none reusing none. */
    best: number | undefined;
    /** {@link candidateFrontier} of every candidate. */
    frontier: CandidatePoint[];
}

/**
 * Aligns the candidates the donor choice and the what-if frontier need, with the same results as
 * aligning every one. Most similar first: a candidate only reaches the frontier by reusing more than
 * every more similar one, and only becomes the donor by reusing more than every eligible one, so one
 * whose {@link reuseUpperBound} shows it can do neither is not aligned. With one good donor among
 * loosely related neighbours (the usual case), most neighbours are skipped.
 */
export function alignCandidates(candidates: readonly CandidateInput[], target: TokenSeq, options: {minRunLength: number}): AlignedCandidates {
    const order = candidates.map((_, i) => i).sort((a, b) => candidates[b]!.similarity - candidates[a]!.similarity || a - b);
    const alignments: Array<Alignment | undefined> = candidates.map(() => undefined);
    // Most reusable tokens of an aligned candidate at least as similar as the current one, and of an eligible one.
    let frontierReuse = 0;
    let eligibleReuse = 0;
    for (const i of order) {
        const candidate = candidates[i]!;
        let alignment = candidate.alignment;
        if (alignment == null) {
            const bound = reuseUpperBound(candidate.tokens, target, options);
            // Strictly below the eligible best: on a tie the earlier candidate is the donor, which may be this one.
            if (bound <= frontierReuse && (!candidate.eligible || bound < eligibleReuse)) continue;
            alignment = alignTokens(candidate.tokens, target, options);
        }
        alignments[i] = alignment;
        frontierReuse = Math.max(frontierReuse, alignment.reusedTokens);
        if (candidate.eligible) eligibleReuse = Math.max(eligibleReuse, alignment.reusedTokens);
    }
    let best: number | undefined;
    alignments.forEach((alignment, i) => {
        if (alignment == null || !candidates[i]!.eligible || alignment.reusedTokens === 0) return;
        if (best == null || alignment.reusedTokens > alignments[best]!.reusedTokens) best = i;
    });
    const points = alignments.flatMap((alignment, i): CandidatePoint[] => (alignment == null ? [] : [[candidates[i]!.similarity, alignment.reusedTokens]]));
    return {alignments, best, frontier: candidateFrontier(points)};
}
