import type {HealthResponse, ModelObject} from "../../shared/openai.js";
import {appDbOf, closeAppDb} from "../admin/appDb.js";
import {KeyStore} from "../config/apiKeys.js";
import type {Settings} from "../config/settings.js";
import {ModelUnavailableError} from "../runtime/errors.js";
import {ModelRuntime} from "../runtime/ModelRuntime.js";
import {InferenceService} from "../service/inference.js";
import {createSharingEngine} from "../sharing/engine/createSharingEngine.js";
import type {CacheStore} from "../sharing/store/index.js";
import type {ApiServer} from "./ApiServer.js";
import type {Logger} from "./log.js";
import {QualityMonitor} from "../insights/QualityMonitor.js";
import {QualityStore} from "../insights/QualityStore.js";
import {whatIfWindow} from "../insights/whatIf.js";
import {RequestLog} from "../insights/RequestLog.js";

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

    public constructor(
        public settings: Settings,
        public readonly apiKey: string,
        public readonly dataDir: string,
        public readonly rendererDir: string | undefined,
        public readonly log: Logger
    ) {
        this.keys = KeyStore.inDataDir(dataDir);
        this.requestLog = new RequestLog({
            db: () => appDbOf(this),
            retentionDays: () => this.settings.sharing.historyDays,
            replayShare: () => this.monitorShare
        });
        this.qualityChecks = new QualityStore(() => appDbOf(this));
        this.qualityMonitor = new QualityMonitor({
            inference: () => this.inference,
            requestLog: this.requestLog,
            checks: this.qualityChecks,
            share: () => this.monitorShare,
            log
        });
    }

    /** Share (0..1) of shared-KV requests the idle quality monitor replays. */
    public get monitorShare(): number {
        return this.settings.sharing.monitorShare ?? this.monitorDefaultShare;
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
        // A replay holds a sequence: stop it before waiting for the old model to drain.
        await this.qualityMonitor.stop();
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
                queueLimits: () => this.settings.limits,
                verbose,
                onLoadProgress: (progress) => {
                    this.loadProgress = Math.min(1, Math.max(0, progress));
                    onProgress?.(this.loadProgress);
                }
            });
            const {store} = await createSharingEngine({runtime, dataDir: this.dataDir, settings: () => this.settings.sharing, log: this.log});
            this.cacheStore = store;
            this.inference = new InferenceService(runtime, () => this.settings.sharing, this.requestLog);
            this.loadProgress = 1;
            this.status = "ok";
            this.qualityMonitor.start();
            // Read the what-if view now, off the request path, so the settings panel's first answer is warm.
            setImmediate(() => {
                try {
                    this.requestLog.whatIfRows(whatIfWindow);
                } catch (error) {
                    this.log.warn(`could not read the request history: ${(error as Error).message}`);
                }
            });
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
            meta: {context_size: runtime.contextSize, parallel: runtime.pool.size, architecture: runtime.architecture, kv_editing: runtime.scratch != null}
        }];
    }

    public async dispose(): Promise<void> {
        await this.qualityMonitor.stop();
        await this.inference?.runtime.dispose();
        this.inference = undefined;
        this.cacheStore?.close();
        this.cacheStore = undefined;
        // Conversations, profiles and request history: written, checkpointed and closed with the core.
        this.requestLog.close();
        closeAppDb(this);
    }
}
