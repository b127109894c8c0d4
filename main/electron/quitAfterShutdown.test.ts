import {describe, expect, it} from "vitest";
import {quitAfterShutdown, type QuittingApp} from "./quitAfterShutdown.js";

/** Electron's app as quitting sees it: a before-quit listener, and the exit codes asked for. */
function fakeApp() {
    let listener: ((event: {preventDefault(): void}) => void) | undefined;
    const exits: number[] = [];
    let prevented = 0;
    const app: QuittingApp = {
        on: (_event, l) => (listener = l),
        exit: (code) => void exits.push(code ?? 0)
    };
    const quit = () => listener?.({preventDefault: () => void prevented++});
    return {app, quit, exits, prevented: () => prevented};
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("quitting the desktop app", () => {
    it("exits once the shutdown is done, one shutdown however often quit is asked for", async () => {
        const {app, quit, exits, prevented} = fakeApp();
        let shutdowns = 0;
        quitAfterShutdown(
            app,
            async () => void shutdowns++,
            () => undefined,
            1000
        );
        quit();
        quit();
        await sleep(10);
        expect(shutdowns).toBe(1);
        expect(prevented()).toBe(2);
        expect(exits).toEqual([0]);
    });

    it("exits all the same when the shutdown hangs past the deadline, saying why", async () => {
        const {app, quit, exits} = fakeApp();
        const errors: string[] = [];
        quitAfterShutdown(
            app,
            () => new Promise<void>(() => undefined),
            (error) => errors.push((error as Error).message),
            50
        );
        quit();
        await sleep(20);
        expect(exits).toEqual([]);
        await sleep(80);
        expect(exits).toEqual([1]);
        expect(errors[0]).toMatch(/took longer than/);
    });
});
