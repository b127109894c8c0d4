/** The part of WebContents the prompt uses (structural, so tests need no Electron). */
export interface UnloadContents {
    on(event: "will-prevent-unload", listener: (event: {preventDefault(): void}) => void): unknown;
}

/**
 * A page that asks before it is left (unsaved settings) gets a question. A browser shows its own; in Electron a
 * `beforeunload` that objects cancels the close or reload silently unless the app asks: `leave()` says whether
 * the user chose to leave anyway (then the objection is overridden).
 */
export function askBeforeUnload(contents: UnloadContents, leave: () => boolean): void {
    contents.on("will-prevent-unload", (event) => {
        if (leave()) event.preventDefault();
    });
}
