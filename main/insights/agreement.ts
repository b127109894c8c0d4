/**
 * How closely an answer decoded from shared KV follows the answer full prefill gives (both greedy):
 * the identical tokens up to the first difference, and ROUGE-L over tokens.
 */

/** Length of the longest common subsequence (two-row DP). */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
    if (a.length === 0 || b.length === 0) return 0;
    let prev = new Array<number>(b.length + 1).fill(0);
    let cur = new Array<number>(b.length + 1).fill(0);
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
        [prev, cur] = [cur, prev];
    }
    return prev[b.length]!;
}

/** ROUGE-L F1 of a candidate sequence against a reference; 1 for two empty sequences (they agree). */
export function rougeLOf<T>(candidate: readonly T[], reference: readonly T[]): number {
    if (candidate.length === 0 && reference.length === 0) return 1;
    const lcs = lcsLength(candidate, reference);
    if (lcs === 0) return 0;
    const precision = lcs / candidate.length;
    const recall = lcs / reference.length;
    return (2 * precision * recall) / (precision + recall);
}

/** One comparison: tokens checked (the longer answer), identical tokens before the first difference, ROUGE-L. */
export interface Agreement {
    checkedTokens: number;
    matchedTokens: number;
    rougeL: number;
}

export function compareAnswers(shared: readonly number[], full: readonly number[]): Agreement {
    let matched = 0;
    while (matched < shared.length && matched < full.length && shared[matched] === full[matched]) matched++;
    return {checkedTokens: Math.max(shared.length, full.length), matchedTokens: matched, rougeL: rougeLOf(shared, full)};
}
