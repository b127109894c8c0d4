import {spawn, type ChildProcess} from "node:child_process";
import {existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {basename, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

export const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const READY = /KVShare ready: (http:\/\/\S+)/;
const START_TIMEOUT_MS = 120_000;

export interface RunningServer {
    /** The UI URL as printed by the CLI, including `#key=…`. */
    url: string;
    /** The same origin without the fragment. */
    origin: string;
    /** Everything the server printed, for failure messages. */
    output: () => string;
    stop: () => Promise<void>;
    /** Kills the process with a signal (SIGKILL for crash tests); the data folder stays. */
    kill: (signal: NodeJS.Signals) => Promise<void>;
    dataDir: string;
}

export interface SpawnOptions {
    /** Use (and keep) this data folder; by default a fresh one, removed at stop. */
    dataDir?: string;
    /** The web UI must be built (default true); API-only tests can skip that check. */
    needsUi?: boolean;
    /** Model files to offer in the data folder's `models/` (symlinked, never copied). */
    modelsFolder?: string[];
    /**
     * Context per sequence, past the model's trained 2048 where a test needs an answer long enough to outlast others
     * on a fast machine (the tiny model writes ~1000 tokens a second); the model's own by default.
     */
    contextSize?: number;
}

export function testModelPath(): string {
    return resolve(repoRoot, process.env.KVSHARE_TEST_MODEL ?? "../shared/models/stories260K.gguf");
}

/** Spawns `main/cli.ts serve` on a free port with a fresh data dir and waits for its ready line. */
export async function startServer(options: SpawnOptions = {}): Promise<RunningServer> {
    const model = testModelPath();
    if (!existsSync(model)) throw new Error(`Test model not found at ${model} (set KVSHARE_TEST_MODEL)`);
    if (options.needsUi !== false && !existsSync(join(repoRoot, "dist/renderer/index.html")))
        throw new Error("dist/renderer is not built: run `npm run build:renderer` first (npm run test:e2e does)");

    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "kvshare-e2e-"));
    if (options.modelsFolder != null) {
        const folder = join(dataDir, "models");
        mkdirSync(folder, {recursive: true});
        for (const file of options.modelsFolder) {
            const link = join(folder, basename(file));
            if (!existsSync(link)) symlinkSync(resolve(file), link);
        }
    }
    // The cost gate off (as in the API tests): on the tiny test model it would skip most donors.
    const settingsFile = join(dataDir, "settings.json");
    if (!existsSync(settingsFile))
        writeFileSync(settingsFile, JSON.stringify({sharing: {costGate: false}, ...(options.contextSize == null ? {} : {contextSize: options.contextSize})}));
    const child = spawn(
        process.execPath,
        ["--import", "tsx", "main/cli.ts", "serve", "--model", model, "--port", "0", "--data-dir", dataDir, "--threads", "1"],
        {cwd: repoRoot, env: {...process.env, NO_COLOR: "1"}, stdio: ["ignore", "pipe", "pipe"]}
    );
    let output = "";
    const cleanUp = async (): Promise<void> => {
        await stopChild(child);
        if (options.dataDir == null) rmSync(dataDir, {recursive: true, force: true});
    };
    const kill = async (signal: NodeJS.Signals): Promise<void> => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((done) => child.once("exit", () => done()));
        child.kill(signal);
        await exited;
    };

    try {
        const url = await new Promise<string>((resolveUrl, reject) => {
            const timer = setTimeout(() => reject(new Error(`server not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
            const onData = (data: Buffer): void => {
                output += data.toString();
                const match = READY.exec(output);
                if (match?.[1]) {
                    clearTimeout(timer);
                    resolveUrl(match[1]);
                }
            };
            child.stdout?.on("data", onData);
            child.stderr?.on("data", (data: Buffer) => (output += data.toString()));
            child.once("exit", (code, signal) => {
                clearTimeout(timer);
                reject(new Error(`server exited (code ${code}, signal ${signal}) before it was ready`));
            });
            child.once("error", (error) => {
                clearTimeout(timer);
                reject(error);
            });
        });
        return {url, origin: new URL(url).origin, output: () => output, stop: cleanUp, kill, dataDir};
    } catch (error) {
        await cleanUp();
        throw new Error(`${(error as Error).message}\n--- server output ---\n${output}`, {cause: error});
    }
}

async function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
}

/** The app's own key, from the UI's link (`#key=…`). */
export function appKey(server: {url: string}): string {
    return decodeURIComponent(new URL(server.url).hash.replace(/^#key=/, ""));
}

/** A call of the server's API with the app's own key (`json`: a body sent as JSON). */
export function appApi(server: RunningServer, path: string, init: {method?: string; json?: unknown} = {}): Promise<Response> {
    return fetch(`${server.origin}${path}`, {
        ...(init.method === undefined ? {} : {method: init.method}),
        headers: {authorization: `Bearer ${appKey(server)}`, ...(init.json === undefined ? {} : {"content-type": "application/json"})},
        ...(init.json === undefined ? {} : {body: JSON.stringify(init.json)})
    });
}
