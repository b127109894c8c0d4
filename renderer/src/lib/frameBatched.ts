/**
 * Hands text on at most once a frame. A small model streams up to a thousand pieces a second: drawing the
 * answer again for each piece keeps the page so busy that its Stop button and message box answer late. A long
 * answer costs more to draw each time (its whole text is laid out again), so past {@link steadyChars} characters
 * it is handed on less often, up to every {@link slowestMs} ms: still seen streaming, and the page (and on a small
 * machine, the model sharing its cores) is left the time the drawing took.
 */
export function frameBatched(show: (text: string) => void): {push: (text: string) => void; flush: () => void} {
    let pending = "";
    let shownChars = 0;
    let shownAt = Number.NEGATIVE_INFINITY;
    let frame: number | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = (): void => {
        if (frame !== null) cancelAnimationFrame(frame);
        if (timer !== null) clearTimeout(timer);
        frame = null;
        timer = null;
        if (pending === "") return;
        const text = pending;
        pending = "";
        shownChars += text.length;
        shownAt = performance.now();
        show(text);
    };
    const onFrame = (): void => {
        frame = null;
        const wait = shownAt + drawIntervalMs(shownChars) - performance.now();
        if (wait <= 0) flush();
        else timer ??= setTimeout(flush, wait);
    };
    return {
        push: (text) => {
            pending += text;
            if (timer === null) frame ??= requestAnimationFrame(onFrame);
        },
        flush
    };
}

/** Characters up to which every frame draws the answer. */
export const steadyChars = 2_000;
/** The longest wait between two draws of a long answer. */
export const slowestMs = 250;

/** How long after a draw the next one may come, for an answer of `chars` characters so far. */
export function drawIntervalMs(chars: number): number {
    return chars <= steadyChars ? 0 : Math.min(slowestMs, (chars - steadyChars) / 40);
}
