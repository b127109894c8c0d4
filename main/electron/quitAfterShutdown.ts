/** The parts of Electron's `app` that quitting uses (structural, so tests need no Electron). */
export interface QuittingApp {
    on(event: "before-quit", listener: (event: {preventDefault(): void}) => void): unknown;
    exit(exitCode?: number): void;
}

/**
 * Holds the app's quit until `shutdown` has run, then exits. Electron does not wait for an asynchronous
 * `before-quit` listener: without this the process ends mid-shutdown, cutting answers, leaving the database
 * and cache unclosed and the data folder's lock in place. A quit asked for again meanwhile (Quit chosen twice,
 * the last window closing) is held too and joins the shutdown under way rather than starting another.
 */
export function quitAfterShutdown(app: QuittingApp, shutdown: () => Promise<void>, onError: (error: unknown) => void, deadlineMs: number): void {
    let shuttingDown = false;
    app.on("before-quit", (event) => {
        event.preventDefault();
        if (shuttingDown) return;
        shuttingDown = true;
        // A shutdown that hangs (a native call that never returns) must not leave a hidden process holding the
        // data folder: past the deadline the app exits all the same.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const deadline = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the shutdown took longer than ${Math.round(deadlineMs / 1000)} s`)), deadlineMs);
        });
        void Promise.race([shutdown(), deadline]).then(
            () => {
                clearTimeout(timer);
                app.exit(0);
            },
            (error: unknown) => {
                clearTimeout(timer);
                onError(error);
                app.exit(1);
            }
        );
    });
}
