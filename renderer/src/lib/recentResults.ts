/** Every {@link recentResults}' store: their keys are the chats' own text. */
const everyResults = new Set<Map<string, unknown>>();

/** Forgets every kept result: what was rendered for whoever signed out is not kept in the page for the next person. */
export function forgetRecentResults(): void {
    for (const results of everyResults) results.clear();
}

/** How many results are kept in all (what a sign-out must leave at none). */
export function keptResults(): number {
    let count = 0;
    for (const results of everyResults) count += results.size;
    return count;
}

/**
 * A function's results for its latest distinct inputs: an answer's markdown is rendered again for every streamed
 * frame, and its finished code blocks and formulas would be coloured and laid out again each time.
 */
export function recentResults<T>(compute: (key: string) => T, kept = 256): (key: string) => T {
    const results = new Map<string, T>();
    everyResults.add(results);
    return (key) => {
        const known = results.get(key);
        if (known !== undefined || results.has(key)) {
            // Most recent last: the oldest goes first when the map is full.
            results.delete(key);
            results.set(key, known as T);
            return known as T;
        }
        const result = compute(key);
        results.set(key, result);
        if (results.size > kept) results.delete(results.keys().next().value as string);
        return result;
    };
}
