#!/usr/bin/env node
import fs from "node:fs";
import os from "node:os";
import {parseArgs} from "node:util";
import {downloadDefaultModel} from "./app/downloadDefaultModel.js";
import {networkUrls} from "./app/networkUrls.js";
import {shutdownGraceMs, startServer} from "./app/startServer.js";
import {parseServeArgs, serveUsage} from "./cliArgs.js";
import {modelsDir, resolveDataDir} from "./config/dataDir.js";
import {lockDataDir} from "./config/dataDirLock.js";
import {apiKeyPath, loadOrCreateApiKey} from "./config/apiKey.js";
import {NoModelError} from "./config/resolveModel.js";
import {KeyStore} from "./config/apiKeys.js";
import {loadSettings} from "./config/settings.js";
import {keySharingText} from "../shared/scopes.js";
import {isLoopback} from "../shared/hosts.js";

/** A signal this soon after the first is the same one passed on by a parent process, not a second request. */
const repeatedSignalMs = 1_000;

/**
 * The signals that stop the server: Ctrl+C and a service manager's stop. Not SIGHUP: a listener for it would
 * undo `nohup` (the server would stop with the terminal) and turn a service manager's reload into a stop.
 */
const stopSignals = ["SIGINT", "SIGTERM"] as const;

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or missing model. */
async function main(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (command === "serve") return serve(rest);
    if (command === "key") return keyCommand(rest);
    console.error(`Usage: kvshare serve [options] | kvshare key [create NAME [--group G] | list | revoke ID] [--data-dir DIR]\n\n${serveUsage}`);
    return command == null || command === "--help" || command === "-h" ? 0 : 2;
}

const keyUsage = `Usage: kvshare key [create NAME [--group G] | list | revoke ID] [--data-dir DIR]

  (no action)        print the app's own key (the admin key of the API and the web UI)
  create NAME        issue a key for an app or a person (shown once; only its hash is stored)
  list               list issued keys
  revoke ID          revoke a key; to delete its cached prompts too, revoke it in the settings panel
                     or with DELETE /kvshare/keys/ID?purge=true
`;

/** `key`: show the app's key; `key create NAME [--group G]`, `key list`, `key revoke ID` manage issued keys. */
function keyCommand(argv: string[]): number {
    try {
        const {values, positionals} = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {"data-dir": {type: "string"}, group: {type: "string"}, help: {type: "boolean", short: "h"}}
        });
        if (values.help) {
            console.log(keyUsage);
            return 0;
        }
        const dataDir = usableDataDir(values["data-dir"]);
        const keys = KeyStore.inDataDir(dataDir);
        const [action, arg, ...extra] = positionals;
        if (extra.length > 0) throw new Error(`unexpected argument${extra.length > 1 ? "s" : ""}: ${extra.join(" ")} (a name with spaces goes in quotes)`);
        if (action == null) {
            console.log(loadOrCreateApiKey(dataDir).key);
            console.error(`(the app's own key, stored in ${apiKeyPath(dataDir)})`);
        } else if (action === "create" && arg != null) {
            const {key, entry} = keys.create(arg, values.group);
            console.log(key);
            console.error(`key ${entry.id} for ${entry.name}${entry.group != null ? ` (group ${entry.group})` : ""}: shown once, only its hash is stored`);
            // The key is made whatever the settings file holds: a file that cannot be read leaves only this line out.
            try {
                console.error(keySharingText(loadSettings(dataDir).sharing.scopePolicy, entry.group ?? null));
            } catch (error) {
                console.error(`(with whom it shares KV is not known: ${(error as Error).message})`);
            }
        } else if (action === "list" && arg == null) {
            const list = keys.list();
            if (list.length === 0) console.error("no keys issued (kvshare key create NAME issues one)");
            for (const key of list) console.log(`${key.id}  ${key.hint}…  ${key.name}${key.group != null ? `  group:${key.group}` : ""}  ${key.createdAt}`);
        } else if (action === "revoke" && arg != null) {
            if (!keys.revoke(arg)) throw new Error(`No key with id ${arg}.`);
            console.log(`revoked ${arg}`);
        } else {
            throw new Error(`unknown key action${action === "create" || action === "revoke" ? ` (${action} needs an argument)` : ` '${action}'`}`);
        }
    } catch (error) {
        console.error(`${(error as Error).message}\n\n${keyUsage}`);
        return 2;
    }
    return 0;
}

async function serve(argv: string[]): Promise<number> {
    let options;
    let dataDir;
    try {
        options = parseServeArgs(argv);
        dataDir = usableDataDir(options.dataDir);
    } catch (error) {
        console.error(`${(error as Error).message}\n\n${serveUsage}`);
        return 2;
    }
    if (options.help) {
        console.log(serveUsage);
        return 0;
    }
    // Stopped while starting (the model loading): nothing is served yet, so stop at once, leaving the folder unlocked.
    const stopStarting = (signal: NodeJS.Signals) => {
        console.error(`stopped (${signal}) before the server was ready`);
        options.lock?.release();
        process.exit(128 + (os.constants.signals[signal] ?? 0));
    };
    for (const signal of stopSignals) process.on(signal, stopStarting);
    let server;
    try {
        // Taken before a download into the folder; the server takes it over (and releases it when it stops).
        // Refused ("another KVShare server (pid N) is using DIR"): reported below, exit code 1.
        options.lock = lockDataDir(dataDir);
        if (options.downloadDefaultModel && options.modelPath == null) options.modelPath = await downloadDefaultModel(modelsDir(dataDir));
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
    if (!isLoopback(settings.api.host))
        console.error(
            `warning: listening on ${settings.api.host}: the API and the web UI can be reached from other machines on the network, over plain HTTP (prompts, answers and the key travel unencrypted); anyone with a key can use it`
        );
    // Where other machines open the page (each person signs in with their own key; the app's key stays here).
    // The URL leaves out the scheme's own port (80).
    const port = Number(new URL(server.url).port || 80);
    for (const url of networkUrls(settings.api.host, port)) console.log(`on the network: ${url}`);
    if (settings.api.auth) console.log(`API key: ${server.apiKey}`);
    // The e2e tests and scripts wait for this exact line.
    console.log(`KVShare ready: ${server.uiUrl}`);

    let stoppingSince: number | undefined;
    const stop = async () => {
        // A second signal (Ctrl+C again) does not wait. One that follows within a second is the same stop
        // delivered twice: a service manager signals the whole process group, and npm and tsx pass it on too.
        if (stoppingSince != null) {
            if (performance.now() - stoppingSince >= repeatedSignalMs) process.exit(1);
            return;
        }
        stoppingSince = performance.now();
        console.log(`shutting down: answers in progress get up to ${shutdownGraceMs / 1000} s to finish (signal again to stop now)`);
        await server.close(shutdownGraceMs);
        process.exit(0);
    };
    for (const signal of stopSignals) {
        process.off(signal, stopStarting);
        process.on(signal, () => void stop());
    }
    return -1;
}

/** The data folder asked for (or the default), refused when it names something that is not a folder. */
function usableDataDir(flag: string | undefined): string {
    const dataDir = resolveDataDir(flag);
    const stat = fs.statSync(dataDir, {throwIfNoEntry: false});
    if (stat != null && !stat.isDirectory())
        throw new Error(`The data folder ${dataDir} is a file, not a folder: give --data-dir (or KVSHARE_DATA_DIR) a folder, or a path to create one at.`);
    return dataDir;
}

main(process.argv.slice(2)).then(
    (code) => {
        if (code >= 0) process.exit(code);
    },
    (error: unknown) => {
        console.error(error);
        process.exit(1);
    }
);
