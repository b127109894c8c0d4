/** Resolves after the next animation frame (streamed text is drawn once a frame). */
export function nextFrame(): Promise<void> {
    return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}
