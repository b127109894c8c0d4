/**
 * Hands text on at most once a frame. A small model streams up to a thousand pieces a second: drawing the
 * answer again for each piece keeps the page so busy that its Stop button and message box answer late.
 */
export function frameBatched(show: (text: string) => void): {push: (text: string) => void; flush: () => void} {
    let pending = "";
    let frame: number | null = null;
    const flush = (): void => {
        if (frame !== null) cancelAnimationFrame(frame);
        frame = null;
        if (pending === "") return;
        const text = pending;
        pending = "";
        show(text);
    };
    return {
        push: (text) => {
            pending += text;
            frame ??= requestAnimationFrame(flush);
        },
        flush
    };
}
