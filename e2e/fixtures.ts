import {test as base} from "@playwright/test";
import {startServer, type RunningServer} from "./server.js";

/** One headless `serve` per worker (the config runs one worker), stopped when the worker ends. */
export const test = base.extend<object, {server: RunningServer}>({
    server: [
        // Playwright reads a fixture's dependencies from its destructuring pattern: this one has none.
        // eslint-disable-next-line no-empty-pattern
        async ({}, use) => {
            const server = await startServer();
            try {
                await use(server);
            } finally {
                await server.stop();
            }
        },
        {scope: "worker", timeout: 180_000}
    ]
});

export {expect} from "@playwright/test";
