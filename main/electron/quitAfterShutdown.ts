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
export function quitAfterShutdown(app: QuittingApp, shutdown: () => Promise<void>, onError: (error: unknown) => void): void {
    let shuttingDown = false;
    app.on("before-quit", (event) => {
        event.preventDefault();
        if (shuttingDown) return;
        shuttingDown = true;
        void shutdown().then(
            () => app.exit(0),
            (error: unknown) => {
                onError(error);
                app.exit(1);
            }
        );
    });
}
