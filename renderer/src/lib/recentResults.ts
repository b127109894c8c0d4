/**
 * A function's results for its latest distinct inputs: an answer's markdown is rendered again for every streamed
 * frame, and its finished code blocks and formulas would be coloured and laid out again each time.
 */
export function recentResults<T>(compute: (key: string) => T, kept = 256): (key: string) => T {
    const results = new Map<string, T>();
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
