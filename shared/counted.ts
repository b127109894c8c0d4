/** A count with its noun, singular for one: "1 thread", "4 threads" (`plural` where adding "s" is wrong). */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
    return `${count} ${count === 1 ? noun : plural}`;
}
