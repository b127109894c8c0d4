import path from "node:path";
import type {HealthResponse, ModelObject} from "../../shared/openai.js";
import {AppDb} from "../admin/appDb.js";
import type {AdminDeps, ModelHost} from "../admin/ports.js";
import {KeyStore} from "../config/apiKeys.js";
import type {Settings, SettingsPatch} from "../config/settings.js";
import {ModelSwitchedError} from "../runtime/abortReasons.js";
import {ModelUnavailableError} from "../runtime/errors.js";
import type {ServerHost} from "../server/context.js";
import type {ApiServer} from "../server/ApiServer.js";
import {openModel} from "../service/openModel.js";
import type {RequestPipeline} from "../service/RequestPipeline.js";
import type {DonorCache} from "../sharing/cache/DonorCache.js";
import type {Logger} from "../common/log.js";
import {isOutOfMemory, loadFailure} from "./loadErrors.js";
import {QualityMonitor} from "../insights/QualityMonitor.js";
import {QualityStore} from "../insights/QualityStore.js";
import {whatIfWindow} from "../insights/whatIf.js";
import {RequestLog} from "../insights/RequestLog.js";
import {foundGpuTypes, gpuBackendSupport} from "../runtime/nativeBuild.js";
import type {GpuBackend} from "../../shared/llamaBackend.js";

/** Models from outside the models folder the picker keeps offering. */
const maxServedPaths = 10;

export type CoreStatus = "loading" | "ok" | "error";

/**
 * Resolves once no request is in flight anywhere (embedding, queue, generation) and every sequence is
 * back in the pool, or after `timeoutMs`.
 */
async function waitForIdle(pipeline: RequestPipeline, timeoutMs: number): Promise<void> {
    const pool = pipeline.runtime.pool;
    const deadline = Date.now() + timeoutMs;
    while ((pipeline.inFlight > 0 || pipeline.runtime.embeddingsInFlight > 0 || pool.busyCount > 0 || pool.queuedCount > 0) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 25));
}

/** A model being replaced: what it served with, and its file (to load it again if the switch fails). */
interface RetiringModel {
    pipeline: RequestPipeline;
    path: string | undefined;
}

/**
 * The app's core, built and wired by the entry points (headless `serve`, the Electron shell): settings,
 * keys, the app database and the loaded model's lifecycle (load, switch, retire). The HTTP server sees
 * it as a {@link ServerHost}, the admin services through {@link admin}. Nothing here imports Electron.
 */
export class AppCore implements ServerHost, ModelHost {
    public status: CoreStatus = "loading";
    /** The loaded model's request pipeline (undefined while none serves). */
    public pipeline: RequestPipeline | undefined;
    private loadError: Error | undefined;
    /**
     * True from the start of a model load until the model it replaced is let go (its requests may take
     * the grace period): one switch at a time, so no third model is loaded beside a draining one.
     */
    public switching = false;
    /** The file of the model serving now (during a switch `modelPath` names the one loading). */
    private servingPath: string | undefined;
    private switchQueue: Promise<void> = Promise.resolve();
    /** Why the last model switch failed while the previous model went on serving. */
    public switchError: Error | undefined;
    public readonly startedAt = Date.now();
    /** Keys issued to apps and people (hashed). */
    public readonly keys: KeyStore;
    /** The app's database (conversations, profiles, request history), opened on first use. */
    public readonly db: AppDb;
    /** What the admin operations (HTTP routes, desktop IPC) work through. */
    public readonly admin: AdminDeps;
    /** Served requests (app.db): the dashboard's history, the what-if curves, the quality monitor's samples. */
    public readonly requestLog: RequestLog;
    /**
     * The quality monitor's share when the settings leave it to the app (`sharing.monitorShare` null):
     * off for the headless API server, set on by the desktop shell.
     */
    public monitorDefaultShare = 0;
    /** The idle quality monitor's results (app.db). */
    public readonly qualityChecks: QualityStore;
    /** Replays sampled shared-KV requests while the model is idle (see {@link monitorShare}). */
    public readonly qualityMonitor: QualityMonitor;
    /** The model file loaded, or being loaded (the model picker's current entry). */
    public modelPath: string | undefined;
    /** Load progress of {@link modelPath}, 0..1. */
    public loadProgress = 0;
    /**
     * The local API server (started, moved and stopped live by the settings panel); undefined until
     * `listen` (headless) or the Electron shell attaches one.
     */
    public apiServer: ApiServer | undefined;
    /**
     * How long a replaced model may finish the requests it is serving; those still running then end
     * with a 503 + retry-after.
     */
    public switchGraceMs = 60_000;
    /** What start-up flags set over settings.json for this run (`serve --threads 1`); the panel says which values they are. */
    public startupFlags: SettingsPatch = {};
    private served: string[] = [];
    /** GPU backends whose drivers were found here; undefined until looked for. */
    private gpuFound: readonly GpuBackend[] | undefined;

    /** Models served since start-up, most recent first (the picker offers them after a switch away). */
    public get servedPaths(): readonly string[] {
        return this.served;
    }

    public constructor(
        public settings: Settings,
        public readonly apiKey: string,
        public readonly dataDir: string,
        public readonly rendererDir: string | undefined,
        public readonly log: Logger
    ) {
        foundGpuTypes().then(
            (found) => (this.gpuFound = found),
            (error: unknown) => {
                this.gpuFound = [];
                log.warn(`looking for GPU drivers failed: ${(error as Error).message}`);
            }
        );
        this.keys = KeyStore.inDataDir(dataDir, log);
        this.db = new AppDb(dataDir, (message) => this.log.error(message));
        this.requestLog = new RequestLog({
            db: () => this.db.get(),
            retentionDays: () => this.settings.sharing.historyDays,
            replayShare: () => this.monitorShare,
            warn: (message) => this.log.warn(message)
        });
        this.qualityChecks = new QualityStore(() => this.db.get());
        this.qualityMonitor = new QualityMonitor({
            pipeline: () => this.pipeline,
            requestLog: this.requestLog,
            checks: this.qualityChecks,
            share: () => this.monitorShare,
            log
        });
        const liveSettings = () => this.settings;
        const startupFlags = () => this.startupFlags;
        this.admin = {
            get settings() {
                return liveSettings();
            },
            get startupFlags() {
                return startupFlags();
            },
            dataDir,
            apiKey,
            log,
            db: this.db,
            keys: this.keys,
            requestLog: this.requestLog,
            qualityChecks: this.qualityChecks,
            models: this,
            monitorShare: () => this.monitorShare,
            cache: () => this.cache,
            forgetLiveKv: () => this.pipeline?.runtime.pool.forget(),
            apiServer: () => this.apiServer
        };
    }

    /** The loaded model's donor cache. */
    public get cache(): DonorCache | undefined {
        return this.pipeline?.cache;
    }

    /** See {@link ModelHost.gpuBackends}: the patched builds are looked for at each call (one may be installed while the app runs). */
    public gpuBackends(): ReturnType<ModelHost["gpuBackends"]> {
        return this.gpuFound == null ? undefined : gpuBackendSupport(this.gpuFound);
    }

    /** The loaded model's context size and tokenizer (the settings panel's checks), and what it was loaded with. */
    public loaded(): ReturnType<ModelHost["loaded"]> {
        const runtime = this.pipeline?.runtime;
        if (runtime == null) return undefined;
        const {threads, parallel, contextSize, gpu, gpuFallback} = runtime.options;
        return {
            contextSize: runtime.contextSize,
            countTokens: (text) => runtime.prompts.countTokens(text),
            runtime: {threads, parallel, contextSize, gpu, gpuFallback, contextTokens: runtime.contextSize, backend: runtime.build.backend}
        };
    }

    /** Share (0..1) of shared-KV requests the idle quality monitor replays. */
    public get monitorShare(): number {
        return this.settings.sharing.monitorShare ?? this.monitorDefaultShare;
    }

    /**
     * Loads a model, replacing the loaded one. The new model is loaded beside the old one, which keeps
     * serving meanwhile; only once the new one is ready does it take over new requests, and the old one
     * is let go after its requests finish (those still running after the grace period end with a 503 +
     * retry-after). A file that fails to load leaves the old model serving. Where both do not fit in
     * memory, the old model is unloaded first and loaded again if the new one fails.
     * @throws the load failure (the core stays up; {@link loadErrorMessage} or {@link switchError} says why)
     */
    public loadModel(modelPath: string, verbose = false, onProgress?: (progress: number) => void): Promise<void> {
        // One switch at a time (the admin routes answer 409 meanwhile; direct callers wait their turn).
        // When none is running, the status says "loading" at once, for the answer to the request that asked.
        if (!this.switching) this.markLoading(modelPath);
        const run = this.switchQueue.then(async () => {
            this.switching = true;
            try {
                await this.switchTo(modelPath, verbose, onProgress);
            } finally {
                this.switching = false;
            }
        });
        this.switchQueue = run.catch(() => undefined);
        return run;
    }

    private async switchTo(modelPath: string, verbose: boolean, onProgress?: (progress: number) => void): Promise<void> {
        const previous = this.pipeline == null ? undefined : {pipeline: this.pipeline, path: this.servingPath};
        this.markLoading(modelPath);
        const progress = (value: number) => {
            this.loadProgress = Math.min(1, Math.max(0, value));
            onProgress?.(this.loadProgress);
        };
        if (previous == null) {
            try {
                this.install(await this.openModel(modelPath, verbose, progress));
            } catch (error) {
                return this.failLoad(error);
            }
        } else if (this.settings.sharing.embedder === "model") {
            // The model's own embeddings differ per model: opening the new model's cache index
            // rebuilds the vector table under the old model's feet. Let the old one go first.
            await this.switchUnloadingFirst(previous, modelPath, verbose, progress);
        } else {
            let loaded: RequestPipeline;
            try {
                loaded = await this.openModel(modelPath, verbose, progress);
            } catch (error) {
                if (!isOutOfMemory(error)) return this.keepServing(previous.path, error);
                this.log.warn(`not enough memory to load ${path.basename(modelPath)} beside the loaded model: unloading it first`);
                return this.switchUnloadingFirst(previous, modelPath, verbose, progress);
            }
            this.install(loaded);
            await this.retire(previous);
        }
        this.qualityMonitor.start();
    }

    private markLoading(modelPath: string): void {
        this.status = "loading";
        this.modelPath = modelPath;
        this.loadProgress = 0;
        this.loadError = undefined;
        this.switchError = undefined;
    }

    /** Unloads the serving model, then loads the new one; on failure the old one is loaded again. */
    private async switchUnloadingFirst(previous: RetiringModel, modelPath: string, verbose: boolean, progress: (value: number) => void): Promise<void> {
        this.pipeline = undefined;
        await this.retire(previous);
        try {
            this.install(await this.openModel(modelPath, verbose, progress));
        } catch (error) {
            if (previous.path == null) return this.failLoad(error);
            this.modelPath = previous.path;
            try {
                this.install(await this.openModel(previous.path, verbose, () => undefined));
            } catch {
                return this.failLoad(error);
            }
            return this.keepServing(previous.path, error);
        }
    }

    private openModel(modelPath: string, verbose: boolean, onLoadProgress: (progress: number) => void): Promise<RequestPipeline> {
        return openModel({
            modelPath,
            verbose,
            onLoadProgress,
            settings: () => this.settings,
            dataDir: this.dataDir,
            log: this.log,
            requestLog: this.requestLog,
            anotherModelServes: this.pipeline != null
        });
    }

    private install(loaded: RequestPipeline): void {
        this.servingPath = this.modelPath;
        if (this.modelPath != null) {
            const served = path.resolve(this.modelPath);
            this.served = [served, ...this.served.filter((p) => p !== served)].slice(0, maxServedPaths);
        }
        this.pipeline = loaded;
        this.loadProgress = 1;
        this.status = "ok";
        // Read the what-if view now, off the request path, so the settings panel's first answer is warm.
        setImmediate(() => {
            try {
                this.requestLog.whatIfRows(whatIfWindow);
            } catch (error) {
                this.log.warn(`could not read the request history: ${(error as Error).message}`);
            }
        });
    }

    /** Lets a replaced model finish its requests (up to the grace period), ends the rest, and frees it. */
    private async retire(previous: RetiringModel): Promise<void> {
        // A replay holds a sequence of the old model: stop it before waiting for that model to drain.
        await this.qualityMonitor.stop();
        await waitForIdle(previous.pipeline, this.switchGraceMs);
        previous.pipeline.runtime.retire(new ModelSwitchedError());
        await waitForIdle(previous.pipeline, 5_000);
        await previous.pipeline.dispose().catch((error: unknown) => this.log.warn(`unloading the previous model: ${(error as Error).message}`));
        previous.pipeline.cache.close();
    }

    private failLoad(error: unknown): never {
        this.loadError = loadFailure(error);
        this.status = "error";
        throw this.loadError;
    }

    /** The new model failed; the loaded one goes on serving and the picker shows why. */
    private keepServing(previousPath: string | undefined, error: unknown): never {
        this.switchError = loadFailure(error);
        this.modelPath = previousPath;
        this.loadProgress = 1;
        this.status = "ok";
        this.qualityMonitor.start();
        throw this.switchError;
    }

    /** No model to load (first run of the desktop app): the UI's model picker is the way on. */
    public markNoModel(reason: string): void {
        this.loadError = new Error(reason);
        this.status = "error";
    }

    /** Why the last load failed, while the status is "error". */
    public get loadErrorMessage(): string | undefined {
        return this.status === "error" ? (this.loadError?.message ?? "unknown error") : undefined;
    }

    public requirePipeline(): RequestPipeline {
        if (this.pipeline != null) return this.pipeline;
        if (this.status === "error")
            throw new ModelUnavailableError(
                this.modelPath == null
                    ? `No model is loaded. ${this.loadError?.message ?? ""}`.trim()
                    : `The model failed to load: ${this.loadError?.message ?? "unknown error"}`
            );
        throw new ModelUnavailableError("The model is still loading. Retry shortly.");
    }

    /** What `/health` and the desktop bridge report: status, model and how busy the sequences are. */
    public health(): HealthResponse {
        const pool = this.pipeline?.runtime.pool;
        return {
            // A model switch keeps the old model serving until the new one takes over.
            status: this.pipeline != null ? "ok" : this.status,
            model: this.pipeline?.runtime.modelId ?? null,
            slots_idle: pool?.idleCount ?? 0,
            slots_busy: pool?.busyCount ?? 0,
            queued: pool?.queuedCount ?? 0
        };
    }

    /** The loaded model as `/v1/models` and the desktop bridge list it (none while no model is loaded). */
    public modelObjects(): ModelObject[] {
        const runtime = this.pipeline?.runtime;
        if (runtime == null) return [];
        return [
            {
                id: runtime.modelId,
                object: "model",
                created: Math.floor(this.startedAt / 1000),
                owned_by: "local",
                meta: {
                    context_size: runtime.contextSize,
                    parallel: runtime.pool.size,
                    architecture: runtime.architecture,
                    kv_editing: runtime.scratch != null,
                    backend: runtime.build.backend,
                    kvshare_patched: runtime.build.patched,
                    devices: runtime.build.devices,
                    ...(runtime.build.notice == null ? {} : {build_notice: runtime.build.notice})
                }
            }
        ];
    }

    public async dispose(): Promise<void> {
        await this.qualityMonitor.stop();
        const pipeline = this.pipeline;
        this.pipeline = undefined;
        await pipeline?.dispose();
        pipeline?.cache.close();
        // Conversations, profiles and request history: written, checkpointed and closed with the core.
        this.requestLog.close();
        this.db.close();
    }
}
