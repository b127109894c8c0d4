import {KeyStore} from "../config/apiKeys.js";
import type {Settings} from "../config/settings.js";
import {ModelUnavailableError} from "../runtime/errors.js";
import {ModelRuntime} from "../runtime/ModelRuntime.js";
import {InferenceService} from "../service/inference.js";
import {createSharingEngine} from "../sharing/engine/createSharingEngine.js";
import type {CacheStore} from "../sharing/store/index.js";
import type {Logger} from "./log.js";
import {RequestLog} from "./RequestLog.js";

export type CoreStatus = "loading" | "ok" | "error";

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

    public constructor(
        public settings: Settings,
        public readonly apiKey: string,
        public readonly dataDir: string,
        public readonly rendererDir: string | undefined,
        public readonly log: Logger
    ) {
        this.keys = KeyStore.inDataDir(dataDir);
    }

    /** Loads a model; on failure the core stays up and reports the error (503 with the reason). */
    public async loadModel(modelPath: string, verbose = false): Promise<void> {
        this.status = "loading";
        const previous = this.inference;
        this.inference = undefined;
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
                maxQueue: this.settings.limits.maxQueue,
                queueTimeoutMs: this.settings.limits.queueTimeoutMs,
                verbose
            });
            const {store} = await createSharingEngine({runtime, dataDir: this.dataDir, settings: () => this.settings.sharing, log: this.log});
            this.cacheStore = store;
            this.inference = new InferenceService(runtime, () => this.settings.sharing, this.requestLog);
            this.status = "ok";
        } catch (error) {
            this.loadError = error as Error;
            this.status = "error";
            throw error;
        }
    }

    public requireInference(): InferenceService {
        if (this.inference != null) return this.inference;
        if (this.status === "error") throw new ModelUnavailableError(`The model failed to load: ${this.loadError?.message ?? "unknown error"}`);
        throw new ModelUnavailableError("The model is still loading. Retry shortly.");
    }

    public async dispose(): Promise<void> {
        await this.inference?.runtime.dispose();
        this.inference = undefined;
        this.cacheStore?.close();
        this.cacheStore = undefined;
    }
}
