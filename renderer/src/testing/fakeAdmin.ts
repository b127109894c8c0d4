import type {AdminInput, AdminOp, AdminOutput, AdminSettings, ApiKeyInfo, CacheStats, ConversationRecord, ModelFile, ModelStatus, Profile, WhatIfCurves} from "../../../shared/admin.js";
import {defaultSharingSettings} from "../../../shared/settings.js";
import {ApiError} from "../backend/errors.js";

export const fakeSettings: AdminSettings = {
    sharing: {...defaultSharingSettings, groups: {}},
    api: {enabled: true, host: "127.0.0.1", port: 8080, auth: true, corsOrigins: [], allowedHosts: [], keyHint: "••••••••abcd", url: "http://127.0.0.1:8080", servesUi: true},
    readOnly: ["api.auth", "api.key"],
    restartRequired: ["sharing.embedder"]
};

export function fakeStats(): CacheStats {
    const now = 1_700_000_060_000;
    return {
        now,
        bucketMs: 10_000,
        buckets: [
            {start: now - 10_000, requests: 2, hits: 1, donorHits: 1, promptTokens: 100, reusedTokens: 40, ttftWithReuseMs: 5, ttftWithoutReuseMs: 12, timeSavedMs: 8},
            {start: now, requests: 1, hits: 0, donorHits: 0, promptTokens: 50, reusedTokens: 0, ttftWithReuseMs: null, ttftWithoutReuseMs: 11, timeSavedMs: 0}
        ],
        totals: {requests: 3, hits: 1, donorHits: 1, hitRate: 1 / 3, promptTokens: 150, reusedTokens: 40, timeSavedMs: 8},
        ttft: {withReuse: {count: 1, meanMs: 5, medianMs: 5}, withoutReuse: {count: 2, meanMs: 11.5, medianMs: 11.5}},
        prefill: {msPerToken: 0.2, requests: 2},
        cache: {entries: 2, bytes: 1024, budgetBytes: 4096},
        topDonors: [{id: 1, hits: 1, lifetimeHits: 3, prompt: "Once upon a time", scope: "global", bytes: 512}],
        scope: null,
        scopes: ["global"],
        quality: {
            checks: 2, checkedTokens: 50, matchedTokens: 48, agreement: 0.96, rougeL: 0.97, since: now - 7 * 86_400_000, share: 0.25, pending: 0, lastCheckAt: now,
            bands: [{label: "0.85–1", min: 0.85, max: 1, checks: 2, checkedTokens: 50, matchedTokens: 48, agreement: 0.96, rougeL: 0.97}],
            budgets: [{budget: 0.15, checks: 2, checkedTokens: 50, matchedTokens: 48, agreement: 0.96, rougeL: 0.97}]
        },
        historyDays: 30
    };
}

/**
 * Curves for 10 requests whose best candidates sit at similarities 0.05, 0.15, …, 0.95 (each reusing
 * 10 of 20 prompt tokens, no prefix floor): the hit rate at threshold t is the share above t.
 */
export function fakeWhatIf(): WhatIfCurves {
    const x = Array.from({length: 101}, (_, i) => i / 100);
    const hits = x.map((t) => Array.from({length: 10}, (_, k) => 0.05 + k / 10).filter((s) => s >= t - 1e-9).length);
    return {
        scope: null, scopes: ["global"], requests: 10, computeMs: 0.5,
        current: {similarityThreshold: 0.3, recomputeBudget: 0.15},
        threshold: {x, hitRate: hits.map((h) => h / 10), anyReuseRate: hits.map((h) => h / 10), reusedTokens: hits.map((h) => h * 10), promptTokens: 200,
            agreement: x.map((t) => (t <= 0.9 ? 0.96 : null))},
        budget: {x: [0, 0.15, 1], reusedTokens: [100, 85, 0], donorRequests: 10, agreement: [null, 0.96, null], checks: [0, 2, 0]}
    };
}

export const fakeModels: ModelFile[] = [
    {path: "/data/models/stories260K.gguf", id: "stories260K", sizeBytes: 1_185_376, source: "models-folder", current: true, architecture: "llama", contextLength: 512},
    {path: "/data/models/TinyStories-656K-Q8_0.gguf", id: "TinyStories-656K-Q8_0", sizeBytes: 1_000_000, source: "models-folder", current: false, architecture: "llama", contextLength: 512}
];

/** An in-memory stand-in for the server's admin operations; records every call. */
export class FakeAdmin {
    calls: Array<{op: AdminOp; input: unknown}> = [];
    settings: AdminSettings = structuredClone(fakeSettings);
    conversations = new Map<string, ConversationRecord>();
    profiles: Profile[] = [];
    stats: CacheStats = fakeStats();
    models: ModelFile[] = structuredClone(fakeModels);
    modelStatus: ModelStatus = {status: "ok", progress: 1, modelId: "stories260K", modelPath: "/data/models/stories260K.gguf", error: null};
    keys: ApiKeyInfo[] = [];
    private nextKey = 1;
    /** Makes the next calls of these operations fail. */
    failing = new Map<AdminOp, Error>();

    async run<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>> {
        this.calls.push({op, input: structuredClone(input)});
        const failure = this.failing.get(op);
        if (failure) throw failure;
        return this.answer(op, input) as AdminOutput<K>;
    }

    private answer(op: AdminOp, input: unknown): unknown {
        const value = input as Record<string, unknown>;
        switch (op) {
            case "getSettings":
                return structuredClone(this.settings);
            case "patchSettings": {
                const sharing = (value.sharing ?? {}) as Record<string, unknown>;
                const threshold = sharing.similarityThreshold;
                if (typeof threshold === "number" && (threshold < 0 || threshold > 1))
                    throw new ApiError(`sharing.similarityThreshold must be between 0 and 1 (a cosine similarity); got ${threshold}.`, 400);
                const api = (value.api ?? {}) as Partial<AdminSettings["api"]>;
                if (api.enabled === false && this.settings.api.servesUi)
                    throw new ApiError("In headless mode the API serves this page; stop the server instead (Ctrl+C where `serve` runs).", 400);
                if (api.port === 1) throw new ApiError("The API server could not listen on 127.0.0.1:1: port 1 is already in use on 127.0.0.1.", 409);
                const merged = {...this.settings.api, ...api};
                const url = merged.enabled ? `http://${merged.host}:${merged.port}` : null;
                this.settings = {...this.settings, sharing: {...this.settings.sharing, ...sharing}, api: {...merged, url}};
                return structuredClone(this.settings);
            }
            case "cacheStats":
                return structuredClone(this.stats);
            case "whatIf":
                return {...fakeWhatIf(), scope: typeof value.scope === "string" ? value.scope : null};
            case "clearCache": {
                const removed = {removedEntries: this.stats.cache.entries, freedBytes: this.stats.cache.bytes};
                this.stats = {...this.stats, cache: {...this.stats.cache, entries: 0, bytes: 0}};
                return removed;
            }
            case "listConversations":
                return [...this.conversations.values()].sort((a, b) => b.updatedAt - a.updatedAt).map((c) => structuredClone(c));
            case "saveConversation": {
                const c = structuredClone(value) as unknown as ConversationRecord;
                this.conversations.set(c.id, c);
                return {id: c.id, updatedAt: c.updatedAt};
            }
            case "deleteConversation":
                return {deleted: this.conversations.delete(String(value.id))};
            case "listProfiles":
                return structuredClone(this.profiles);
            case "saveProfile": {
                const profile = value as unknown as Profile;
                this.profiles = [...this.profiles.filter((p) => p.name !== profile.name), profile];
                return structuredClone(this.profiles);
            }
            case "deleteProfile":
                this.profiles = this.profiles.filter((p) => p.name !== value.name);
                return structuredClone(this.profiles);
            case "listModels": {
                const current = this.modelStatus.modelPath;
                return {modelsDir: "/data/models", models: this.models.map((m) => ({...m, current: m.path === current})), status: structuredClone(this.modelStatus)};
            }
            case "loadModel": {
                const model = this.models.find((m) => m.path === value.path);
                if (!model) throw new ApiError("'path' must be one of the listed models or an absolute path to a .gguf file.", 400);
                if (this.modelStatus.status === "loading") throw new ApiError("A model is already loading.", 409);
                this.modelStatus = {status: "loading", progress: 0, modelId: model.id, modelPath: model.path, error: null};
                return structuredClone(this.modelStatus);
            }
            case "modelStatus":
                return structuredClone(this.modelStatus);
            case "listKeys":
                return structuredClone(this.keys);
            case "createKey": {
                const name = String(value.name ?? "");
                if (name.toLowerCase() === "admin" || name.toLowerCase() === "anonymous") throw new ApiError(`'${name}' is reserved; choose another name.`, 400);
                if (!/^[\w.@-]{1,64}$/.test(name)) throw new ApiError("A key's name must be 1-64 letters, digits, '.', '@', '_' or '-'.", 400);
                const group = typeof value.group === "string" && value.group !== "" ? value.group : undefined;
                const id = `k${this.nextKey++}`;
                const key = `kvs-fake-${id}-secret`;
                const entry: ApiKeyInfo = {id, name, ...(group != null ? {group} : {}), hint: key.slice(0, 8), createdAt: "2025-01-01T00:00:00.000Z"};
                this.keys = [...this.keys, entry];
                return {key, entry: structuredClone(entry)};
            }
            case "revokeKey": {
                if (!this.keys.some((k) => k.id === value.id)) throw new ApiError(`No key with id '${String(value.id)}'.`, 404);
                this.keys = this.keys.filter((k) => k.id !== value.id);
                return structuredClone(this.keys);
            }
        }
    }

    count(op: AdminOp): number {
        return this.calls.filter((c) => c.op === op).length;
    }
}
