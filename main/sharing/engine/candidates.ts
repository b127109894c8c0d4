/**
 * Donor candidates reduced to what the what-if curves need: for each retrieved candidate its
 * similarity and the prompt tokens it would let the request reuse. Only the Pareto frontier matters
 * (a candidate less similar and less useful than another never wins at any threshold), so a request
 * keeps at most `topK` small pairs.
 */

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
