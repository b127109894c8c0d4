import {test as base} from "@playwright/test";
import {startServer, type RunningServer} from "./server.js";

/** One headless `serve` per worker (the config runs one worker), stopped when the worker ends. */
export const test = base.extend<object, {server: RunningServer}>({
    server: [
        async (_fixtures, use) => {
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
