import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {unsafeAuthReason} from "../config/addresses.js";
import {mkdirOwnerOnly, secureDataDir} from "../config/ownerOnly.js";
import {loadOrCreateApiKey} from "../config/apiKey.js";
import {resolveDataDir} from "../config/dataDir.js";
import {lockDataDir, type DataDirLock} from "../config/dataDirLock.js";
import {removeStaleTempFiles} from "../config/writeFileAtomic.js";
import {NoModelError, resolveModelPath} from "../config/resolveModel.js";
import {defaultSettings, loadSettings, mergeSettings, settingsPath, type SettingsPatch} from "../config/settings.js";
import {runtimeSettingNames} from "../../shared/settings.js";
import {ApiServer} from "../server/ApiServer.js";
import {HttpServer} from "../server/HttpServer.js";
import {apiRoutes} from "../server/routes.js";
import {modelFileProblem} from "../admin/modelsService.js";
import {AppCore} from "./AppCore.js";
import {consoleLogger, type Logger} from "../common/log.js";
import {counted} from "../../shared/counted.js";

export interface ServeOptions {
    modelPath?: string;
    dataDir?: string;
    /** Overrides over the settings file (CLI flags). */
    overrides?: SettingsPatch;
    /** Use this key instead of the stored one (tests). */
    apiKey?: string;
    rendererDir?: string;
    log?: Logger;
    verbose?: boolean;
    /** Model load progress, 0..1 (the server already answers then: `/health` is 503). */
    onLoadProgress?: (progress: number) => void;
    /**
     * The data folder's lock, when the caller took it already (the CLI, before downloading a model); the
     * server then owns it and releases it when it closes. Without it, {@link createCore} takes it.
     */
    lock?: DataDirLock;
}

export interface RunningServer {
    core: AppCore;
    /** Base URL of the API, e.g. http://127.0.0.1:8080 */
    url: string;
    /** The web UI's URL with the key in the fragment (never sent to the server, kept out of logs). */
    uiUrl: string;
    apiKey: string;
    /** Stops serving and unloads; with `graceMs`, requests in flight get that long to finish first. */
    close(graceMs?: number): Promise<void>;
}

/** The renderer build that `npm run build:renderer` writes, found from source or from dist. */
export function defaultRendererDir(): string {
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const candidate of [path.resolve(here, "../../dist/renderer"), path.resolve(here, "../../renderer")])
        if (fs.existsSync(path.join(candidate, "index.html"))) return candidate;
    return path.resolve(here, "../../dist/renderer");
}

/** The small files the app writes atomically in the data folder (their temporary files are cleaned at start). */
const atomicallyWrittenFiles = ["settings.json", "keys.json", "api-key", "window-state.json"];

/**
 * Builds the core from the data folder, settings and flags, without loading the model or listening.
 * Shared by headless mode and the Electron shell. Takes the data folder's single-instance lock (throws
 * DataDirLockedError when another server uses it); the caller releases `lock` once done with the core.
 */
export function createCore(options: ServeOptions): {
    core: AppCore;
    lock: DataDirLock;
    modelPath?: string;
    /** Later files of the models folder, when the model was picked from it. */
    otherModels?: string[];
    noModel?: NoModelError;
} {
    const log = options.log ?? consoleLogger;
    const dataDir = resolveDataDir(options.dataDir);
    // Owner-only: it holds chats, cached prompts and keys (patient text on a shared machine). An
    // existing folder's app files are tightened too (see secureDataDir).
    if (!fs.existsSync(dataDir)) mkdirOwnerOnly(dataDir);
    const {changed, folderOpen} = secureDataDir(dataDir);
    if (changed.length > 0)
        log.warn(
            `data folder ${dataDir}: made ${changed.length} files and folders owner-only (${changed.slice(0, 5).join(", ")}${changed.length > 5 ? ", …" : ""})`
        );
    if (folderOpen)
        log.warn(
            `data folder ${dataDir} holds other files and is readable by other users; the app's own files in it are owner-only. A folder of its own is safer.`
        );
    const settings = mergeSettings(loadSettings(dataDir), options.overrides ?? {});
    const unsafe = unsafeAuthReason(settings.api);
    if (unsafe != null) throw new Error(unsafe);
    // Before anything is written or opened (the key, the database, the cache): a second server stops here.
    if (options.lock != null && options.lock.dataDir !== dataDir) throw new Error(`The lock given is on ${options.lock.dataDir}, not on ${dataDir}.`);
    const lock = options.lock ?? lockDataDir(dataDir);
    let core: AppCore;
    try {
        // Holding the lock, no other server writes here; a minute's age spares a CLI `key create` in progress.
        const removed = removeStaleTempFiles(dataDir, atomicallyWrittenFiles);
        if (removed.length > 0)
            log.info(`data folder ${dataDir}: removed ${removed.length} temporary files left by an interrupted write (${removed.join(", ")})`);
        const apiKey = options.apiKey ?? loadOrCreateApiKey(dataDir).key;
        core = new AppCore(settings, apiKey, dataDir, options.rendererDir ?? defaultRendererDir(), log);
        core.startupFlags = options.overrides ?? {};
        // The dashboard's numbers of the logged requests read in now, before anything is served: read by the first
        // stats call, 200,000 rows held every request up for about a second.
        core.requestLog.statsColumns();
    } catch (error) {
        if (options.lock == null) lock.release();
        throw error;
    }
    try {
        const resolved = resolveModelPath({flag: options.modelPath, settingsPath: settings.modelPath, dataDir});
        return {core, lock, modelPath: resolved.path, otherModels: resolved.others ?? []};
    } catch (error) {
        if (!(error instanceof NoModelError)) throw error;
        core.markNoModel(error.message);
        return {core, lock, noModel: error};
    }
}

/** Loads the model into the core and logs what was loaded. */
export async function loadCoreModel(core: AppCore, modelPath: string, verbose = false, onProgress?: (progress: number) => void): Promise<void> {
    const loadStart = performance.now();
    await core.loadModel(modelPath, verbose, onProgress);
    const runtime = core.requirePipeline().runtime;
    const {settings} = core;
    const guard = runtime.prompts.guard;
    if (guard != null)
        core.log.warn(
            `the model's vocabulary has no byte fallback: characters it cannot encode (e.g. ${guard.unencodable("#%&@[]{}~").join(" ")}) are replaced by spaces before tokenizing`
        );
    core.log.info(
        `model ${runtime.modelId} (${runtime.architecture}, template ${runtime.prompts.templateName}) loaded in ` +
            `${Math.round(performance.now() - loadStart)} ms: ${counted(settings.parallel, "sequence")} × ${runtime.contextSize} tokens, ${counted(settings.threads, "thread")}`
    );
}

/**
 * Starts the HTTP server (API + web UI) for a core and keeps its handle in `core.apiServer`, so the
 * settings panel can move or stop it. `servesUi`: headless mode, where this server serves the page the
 * admin uses (the Electron shell passes false: its window talks over IPC).
 */
export async function listen(core: AppCore, {servesUi = true}: {servesUi?: boolean} = {}): Promise<RunningServer> {
    const {settings, apiKey} = core;
    const api = core.apiServer ?? createApiServer(core, servesUi);
    core.apiServer = api;
    const url = await api.start();
    return {
        core,
        url,
        // Encoded: the page reads the fragment as URL parameters, where a '+' or '&' in a key would change it.
        uiUrl: settings.api.auth ? `${url}/#key=${encodeURIComponent(apiKey)}` : `${url}/`,
        apiKey,
        close: async (graceMs = 0) => {
            await (graceMs > 0 ? api.drain(graceMs) : api.stop(0));
            await core.dispose();
        }
    };
}

/** The core's API server: the OpenAI and admin routes over the core, listening where the settings say. */
export function createApiServer(core: AppCore, servesUi: boolean): ApiServer {
    const routes = apiRoutes(core.admin);
    return new ApiServer({
        createHttpServer: () => new HttpServer(core, routes),
        address: () => ({host: core.settings.api.host, port: core.settings.api.port}),
        servesUi,
        log: core.log
    });
}

/**
 * A model that failed to load where the settings file chose the runtime (a panel's change saved for the next
 * start, say): the failure names those values and where they come from, so the next start is not a riddle.
 */
function withRuntimeHint(error: Error, core: Pick<AppCore, "settings" | "dataDir">, flags: ServeOptions["overrides"]): Error {
    const fromFile = runtimeSettingNames.filter((name) => flags?.[name] === undefined && core.settings[name] !== defaultSettings[name]);
    if (fromFile.length === 0) return error;
    const values = fromFile.map((name) => `${name} ${JSON.stringify(core.settings[name])}`).join(", ");
    return new Error(
        `${error.message} (${settingsPath(core.dataDir)} sets ${values}: change them there or in the settings panel, or give other values with --threads / --parallel / --ctx-size / --gpu)`,
        {cause: error}
    );
}

/**
 * The model file to load: `modelPath`, or where it cannot be served and it was picked from the models folder
 * (not named by the user; a download cut short, say), the folder's next file that can (`others`).
 * @throws naming the file and why it cannot be served, rather than llama.cpp's bare "Failed to load model"
 */
export async function servableModel(core: Pick<AppCore, "log">, modelPath: string, others: readonly string[]): Promise<string> {
    let chosen = modelPath;
    let unusable = await modelFileProblem(chosen);
    for (const other of others) {
        if (unusable == null) break;
        core.log.warn(`${chosen} cannot be served: ${unusable}; trying ${path.basename(other)}, the models folder's next file`);
        chosen = other;
        unusable = await modelFileProblem(chosen);
    }
    if (unusable != null) throw new Error(`${chosen} cannot be served: ${unusable}.`);
    return chosen;
}

/** How long answers in progress may run on once the server is told to stop (new requests are refused at once). */
export const shutdownGraceMs = 10_000;

/**
 * Headless mode: start the API and serve the web UI, then load the model. Used by the CLI and the tests.
 * Listening first, as llama-server does: `/health` answers 503 while the model loads (a service manager or
 * client can tell "starting" from "down"), and a port already in use fails before a long load.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
    const created = createCore(options);
    const {core, noModel, lock} = created;
    let modelPath = created.modelPath;
    const otherModels = created.otherModels ?? [];
    let server: RunningServer | undefined;
    try {
        if (modelPath == null) throw noModel ?? new NoModelError("No model found.");
        modelPath = await servableModel(core, modelPath, otherModels);
        server = await listen(core);
        await loadCoreModel(core, modelPath, options.verbose, options.onLoadProgress).catch((error: unknown) => {
            throw withRuntimeHint(error as Error, core, options.overrides);
        });
    } catch (error) {
        await (server != null ? server.close() : core.dispose()).catch(() => undefined);
        lock.release();
        throw error;
    }
    const {close} = server;
    return {
        ...server,
        close: async (graceMs) => {
            try {
                await close(graceMs);
            } finally {
                lock.release();
            }
        }
    };
}
