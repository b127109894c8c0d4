import type {HealthResponse, ModelObject} from "../../shared/openai.js";
import {closeAppDb} from "../admin/appDb.js";
import {KeyStore} from "../config/apiKeys.js";
import type {Settings} from "../config/settings.js";
import {ModelUnavailableError} from "../runtime/errors.js";
import {ModelRuntime} from "../runtime/ModelRuntime.js";
import {describeBuild} from "../runtime/nativeBuild.js";
import {InferenceService} from "../service/inference.js";
import {createSharingEngine} from "../sharing/engine/createSharingEngine.js";
import type {CacheStore} from "../sharing/store/index.js";
import type {ApiServer} from "./ApiServer.js";
import type {Logger} from "./log.js";
import {RequestLog} from "./RequestLog.js";

export type CoreStatus = "loading" | "ok" | "error";

/** How long a model switch waits for requests already being served before it unloads the model. */
const drainTimeoutMs = 60_000;

/**
 * Resolves once no request is in flight anywhere (embedding, queue, generation) and every sequence is
 * back in the pool, or after `timeoutMs`.
 */
async function waitForIdle(inference: InferenceService, timeoutMs: number): Promise<void> {
    const pool = inference.runtime.pool;
    const deadline = Date.now() + timeoutMs;
    while ((inference.inFlight > 0 || pool.idleCount < pool.size || pool.queuedCount > 0) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 25));
}

/**
 * The app's core, shared by the HTTP server and the Electron shell: settings, the API key and the
 * loaded model. Nothing here imports Electron.
 */
export class AppCore {
    public status: CoreStatus = "loading";
    public inference: InferenceService | undefined;
    private loadError: Error | undefined;
    /** The KV cache index of the loaded model (closed with it). */
    public cacheStore: CacheStore | undefined;
    public readonly startedAt = Date.now();
    /** Keys issued to apps and people (hashed). */
    public readonly keys: KeyStore;
    /** Served requests, for the cache dashboard. */
    public readonly requestLog = new RequestLog();
    /** The model file loaded, or being loaded (the model picker's current entry). */
    public modelPath: string | undefined;
    /** Load progress of {@link modelPath}, 0..1. */
    public loadProgress = 0;
    /**
     * The local API server (started, moved and stopped live by the settings panel); undefined until
     * `listen` (headless) or the Electron shell attaches one.
     */
    public apiServer: ApiServer | undefined;

    public constructor(
        public settings: Settings,
        public readonly apiKey: string,
        public readonly dataDir: string,
        public readonly rendererDir: string | undefined,
        public readonly log: Logger
    ) {
        this.keys = KeyStore.inDataDir(dataDir);
    }

    /**
     * Loads a model, replacing the loaded one (new requests get 503 meanwhile; requests already holding
     * a sequence finish first); on failure the core stays up and reports the error (503 with the reason).
     */
    public async loadModel(modelPath: string, verbose = false, onProgress?: (progress: number) => void): Promise<void> {
        this.status = "loading";
        this.modelPath = modelPath;
        this.loadProgress = 0;
        this.loadError = undefined;
        const previous = this.inference;
        this.inference = undefined;
        if (previous != null) await waitForIdle(previous, drainTimeoutMs);
        await previous?.runtime.dispose();
        this.cacheStore?.close();
        this.cacheStore = undefined;
        try {
            const runtime = await ModelRuntime.load({
                modelPath,
                parallel: this.settings.parallel,
                contextSize: this.settings.contextSize,
                threads: this.settings.threads,
                gpu: this.settings.gpu,
                gpuFallback: this.settings.gpuFallback,
                queueLimits: () => this.settings.limits,
                verbose,
                onLoadProgress: (progress) => {
                    this.loadProgress = Math.min(1, Math.max(0, progress));
                    onProgress?.(this.loadProgress);
                }
            });
            this.log.info(`llama.cpp: ${describeBuild(runtime.build)}`);
            if (runtime.build.notice != null) this.log.warn(`llama.cpp build: ${runtime.build.notice}`);
            const {store} = await createSharingEngine({runtime, dataDir: this.dataDir, settings: () => this.settings.sharing, log: this.log});
            this.cacheStore = store;
            this.inference = new InferenceService(runtime, () => this.settings.sharing, this.requestLog);
            this.loadProgress = 1;
            this.status = "ok";
        } catch (error) {
            this.loadError = error as Error;
            this.status = "error";
            throw error;
        }
    }

    /** No model to load (first run of the desktop app): the UI's model picker is the way on. */
    public markNoModel(reason: string): void {
        this.loadError = new Error(reason);
        this.status = "error";
    }

    /** Why the last load failed, while the status is "error". */
    public get loadErrorMessage(): string | undefined {
        return this.status === "error" ? this.loadError?.message ?? "unknown error" : undefined;
    }

    public requireInference(): InferenceService {
        if (this.inference != null) return this.inference;
        if (this.status === "error") throw new ModelUnavailableError(this.modelPath == null ? `No model is loaded. ${this.loadError?.message ?? ""}`.trim() : `The model failed to load: ${this.loadError?.message ?? "unknown error"}`);
        throw new ModelUnavailableError("The model is still loading. Retry shortly.");
    }

    /** What `/health` and the desktop bridge report: status, model and how busy the sequences are. */
    public health(): HealthResponse {
        const pool = this.inference?.runtime.pool;
        return {
            status: this.status,
            model: this.inference?.runtime.modelId ?? null,
            slots_idle: pool?.idleCount ?? 0,
            slots_busy: pool == null ? 0 : pool.size - pool.idleCount,
            queued: pool?.queuedCount ?? 0
        };
    }

    /** The loaded model as `/v1/models` and the desktop bridge list it (none while no model is loaded). */
    public modelObjects(): ModelObject[] {
        const runtime = this.inference?.runtime;
        if (runtime == null) return [];
        return [{
            id: runtime.modelId,
            object: "model",
            created: Math.floor(this.startedAt / 1000),
            owned_by: "local",
            meta: {context_size: runtime.contextSize, parallel: runtime.pool.size, architecture: runtime.architecture, kv_editing: runtime.scratch != null,
                backend: runtime.build.backend, kvshare_patched: runtime.build.patched, devices: runtime.build.devices,
                ...(runtime.build.notice == null ? {} : {build_notice: runtime.build.notice})}
        }];
    }

    public async dispose(): Promise<void> {
        await this.inference?.runtime.dispose();
        this.inference = undefined;
        this.cacheStore?.close();
        this.cacheStore = undefined;
        // Conversations and profiles: checkpointed and closed with the core, not left to process exit.
        closeAppDb(this);
    }
}
