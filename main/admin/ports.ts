import type Database from "better-sqlite3";
import type {LoadedRuntimeSettings} from "../../shared/admin.js";
import type {GpuBackendSupport} from "../../shared/llamaBackend.js";
import type {KeyStore} from "../config/apiKeys.js";
import type {Settings, SettingsPatch} from "../config/settings.js";
import type {Logger} from "../common/log.js";
import type {RequestLog} from "../insights/RequestLog.js";
import type {QualityStore} from "../insights/QualityStore.js";
import type {CacheEntryPage, CacheEntryQuery} from "../sharing/store/index.js";

/**
 * The small interfaces the admin services work through. The app core provides them; services never
 * see the core itself, so each can be tested with the parts it uses.
 */

/** The live settings (changed in place, so every reader sees a change at once) and where they are saved. */
export interface SettingsHost {
    readonly settings: Settings;
    readonly dataDir: string;
    /** What start-up flags (`serve --threads 1`) set over settings.json for this run; none in the desktop app. */
    readonly startupFlags?: SettingsPatch;
}

/** The app's own database (conversations, profiles, request history), opened on first use. */
export interface AppDatabase {
    get(): Database.Database;
}

/** One cached prompt as the admin views see it. */
export interface CachedPromptInfo {
    scope: string;
    promptText: string;
    hitCount: number;
    bytes: number;
}

/** The loaded model's donor cache, as far as the admin may change it. */
export interface CacheAdmin {
    count(): number;
    /** Bytes of KV resident in the memory tier. */
    readonly memoryBytes: number;
    totalBytes(): number;
    scopeTotals(scope: string): {entries: number; bytes: number};
    get(id: number): CachedPromptInfo | undefined;
    /** Removes every cached prompt (index, files, memory tier); the marked shared prefixes come back. */
    clear(): {removedEntries: number; freedBytes: number};
    /** Deletes a scope's cached prompts and keeps the scope empty; returns how many were removed. */
    purgeScope(scope: string): number;
    /** Deletes every cached prompt one sender stored, in any scope, and keeps none of theirs; returns how many were removed. */
    purgeOwner(owner: string): number;
    /** A page of cached prompts, newest cached first (all models), and how many match. */
    browse(query: CacheEntryQuery): CacheEntryPage;
    /** Deletes one cached prompt leaving no trace of it; undefined when there is none; throws for a marked shared prefix. */
    purgeEntry(id: number): {id: number; scope: string; tokens: ArrayLike<number>} | undefined;
    /** The loaded model's fingerprint (its entries are the ones in use). */
    readonly modelFingerprint: string;
    /** Evicts until the snapshots fit `bytes`, in steps with requests served in between; what it removed. */
    evictToBudget(bytes: number): Promise<ReadonlyArray<{bytes: number}>>;
    /** Makes the memory tier fit its (lowered) budget now. */
    trimMemoryTier(): void;
    /** Makes the cache hold exactly the admin-marked shared prefixes. */
    refreshSharedPrefixes(): Promise<void>;
    /** The stand-in for an index id shown to others than the machine owner. */
    publicDonorId(id: number): number;
}

export type ModelStatusName = "loading" | "ok" | "error";

/** Loads and switches the served model. */
export interface ModelHost {
    readonly status: ModelStatusName;
    readonly loadProgress: number;
    readonly modelPath: string | undefined;
    /** Models served since the app started, most recent first (the picker keeps offering them). */
    readonly servedPaths: readonly string[];
    /** True while a model loads or the replaced one finishes its requests. */
    readonly switching: boolean;
    readonly switchError: Error | undefined;
    readonly loadErrorMessage: string | undefined;
    /** Resolves once the model serves; sets the status to "loading" before its first await. */
    loadModel(modelPath: string): Promise<void>;
    /** The loaded model's context size, tokenizer and the runtime settings it was loaded with, or undefined while none is loaded. */
    loaded(): {contextSize: number; countTokens(text: string): number; runtime: LoadedRuntimeSettings} | undefined;
    /** What this machine offers of each GPU backend; undefined until its drivers have been looked for (a moment after start). */
    gpuBackends(): readonly GpuBackendSupport[] | undefined;
}

/** The local API server, started, moved and stopped live. */
export interface ApiServerControl {
    readonly running: boolean;
    readonly url: string | null;
    /** Headless mode: this server serves the admin's own page, so it may not be stopped from there. */
    readonly servesUi: boolean;
    /** @throws ApiListenError when the address cannot be bound (the old one keeps serving) */
    start(host: string, port: number): Promise<string>;
    stop(): Promise<void>;
}

/** The API server could not listen on the address asked for (port busy, not an address of this machine). */
export class ApiListenError extends Error {
    public constructor(
        message: string,
        public readonly host: string,
        public readonly port: number,
        public readonly code: string | undefined
    ) {
        super(message);
        this.name = "ApiListenError";
    }
}

/** Everything the admin operations use; each service takes the part it needs (`Pick<AdminDeps, …>`). */
export interface AdminDeps extends SettingsHost {
    readonly apiKey: string;
    readonly db: AppDatabase;
    readonly keys: KeyStore;
    readonly requestLog: RequestLog;
    readonly qualityChecks: QualityStore;
    readonly models: ModelHost;
    readonly log: Logger;
    /** Share (0..1) of shared-KV requests the idle quality monitor replays. */
    monitorShare(): number;
    /** The loaded model's donor cache (undefined while no model is loaded). */
    cache(): CacheAdmin | undefined;
    /** Drops the KV the model's sequences hold (now, or as their requests end): what was cleared leaves memory too. */
    forgetLiveKv?(): void;
    /** The API server, where one is attached. */
    apiServer(): ApiServerControl | undefined;
}
