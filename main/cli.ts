#!/usr/bin/env node
import {downloadDefaultModel} from "./app/downloadDefaultModel.js";
import {startServer} from "./app/startServer.js";
import {parseServeArgs, serveUsage} from "./config/cliArgs.js";
import {modelsDir, resolveDataDir} from "./config/dataDir.js";
import {apiKeyPath, loadOrCreateApiKey} from "./config/apiKey.js";
import {NoModelError} from "./config/resolveModel.js";

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or missing model. */
async function main(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (command === "serve") return serve(rest);
    if (command === "key") {
        const dataDir = resolveDataDir(rest[0] === "--data-dir" ? rest[1] : undefined);
        console.log(loadOrCreateApiKey(dataDir).key);
        console.error(`(stored in ${apiKeyPath(dataDir)})`);
        return 0;
    }
    console.error(`Usage: kvshare serve [options] | kvshare key [--data-dir DIR]\n\n${serveUsage}`);
    return command == null || command === "--help" || command === "-h" ? 0 : 2;
}

async function serve(argv: string[]): Promise<number> {
    let options;
    try {
        options = parseServeArgs(argv);
    } catch (error) {
        console.error(`${(error as Error).message}\n\n${serveUsage}`);
        return 2;
    }
    if (options.help) {
        console.log(serveUsage);
        return 0;
    }
    if (options.downloadDefaultModel && options.modelPath == null)
        options.modelPath = await downloadDefaultModel(modelsDir(resolveDataDir(options.dataDir)));

    let server;
    try {
        server = await startServer(options);
    } catch (error) {
        if (error instanceof NoModelError) {
            console.error(error.message);
            return 2;
        }
        console.error(`Could not start: ${(error as Error).message}`);
        return 1;
    }
    const {settings} = server.core;
    console.log(`API: ${server.url}/v1 (${settings.api.auth ? "bearer key required" : "NO AUTH"})`);
    if (settings.api.auth) console.log(`API key: ${server.apiKey}`);
    // The e2e tests and scripts wait for this exact line.
    console.log(`KVShare ready: ${server.uiUrl}`);

    const stop = async () => {
        console.log("shutting down");
        await server.close();
        process.exit(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
    return -1;
}

main(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exit(code);
}, (error: unknown) => {
    console.error(error);
    process.exit(1);
});
