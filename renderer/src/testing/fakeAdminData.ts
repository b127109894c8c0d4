/** What the fake admin API starts with: settings, dashboard numbers, what-if curves and model files shaped as the server's. */
import type {AdminSettings, CacheStats, ModelFile, WhatIfCurves} from "../../../shared/admin.js";
import {defaultApiPort, defaultSharingSettings} from "../../../shared/settings.js";
import {fakeRuntime} from "./fakeRuntime.js";

export const fakeSettings: AdminSettings = {
    sharing: {...defaultSharingSettings, groups: {}},
    // A fresh install's API address: the server's default port on loopback.
    api: {
        enabled: true,
        host: "127.0.0.1",
        port: defaultApiPort,
        auth: true,
        corsOrigins: [],
        allowedHosts: [],
        keyHint: "••••••••abcd",
        url: `http://127.0.0.1:${defaultApiPort}`,
        servesUi: true,
        saved: {host: "127.0.0.1", port: defaultApiPort},
        flagOverrides: []
    },
    runtime: fakeRuntime,
    readOnly: ["api.auth", "api.key"],
    restartRequired: ["sharing.embedder", "runtime.threads", "runtime.parallel", "runtime.contextSize", "runtime.gpu", "runtime.gpuFallback"]
};

export function fakeStats(): CacheStats {
    const now = 1_700_000_060_000;
    return {
        now,
        bucketMs: 10_000,
        buckets: [
            {
                start: now - 10_000,
                requests: 2,
                hits: 1,
                donorHits: 1,
                promptTokens: 100,
                reusedTokens: 40,
                ttftWithReuseMs: 5,
                ttftWithoutReuseMs: 12,
                timeSavedMs: 8
            },
            {start: now, requests: 1, hits: 0, donorHits: 0, promptTokens: 50, reusedTokens: 0, ttftWithReuseMs: null, ttftWithoutReuseMs: 11, timeSavedMs: 0}
        ],
        totals: {requests: 3, hits: 1, donorHits: 1, hitRate: 1 / 3, promptTokens: 150, reusedTokens: 40, timeSavedMs: 8},
        ttft: {
            withReuse: {count: 1, meanMs: 5, medianMs: 5, medianPromptTokens: 40},
            withoutReuse: {count: 2, meanMs: 11.5, medianMs: 11.5, medianPromptTokens: 12}
        },
        prefill: {msPerToken: 0.2, fixedMs: 0, requests: 2},
        cache: {entries: 2, bytes: 1024, budgetBytes: 4096, memoryBytes: 512, memoryBudgetBytes: 2048},
        topDonors: [{id: 1, hits: 1, lifetimeHits: 3, prompt: "Once upon a time", scope: "global", bytes: 512}],
        scope: null,
        scopes: ["global"],
        quality: {
            checks: 2,
            checkedTokens: 50,
            matchedTokens: 48,
            agreement: 0.96,
            rougeL: 0.97,
            since: now - 7 * 86_400_000,
            share: 0.25,
            pending: 0,
            lastCheckAt: now,
            bands: [{label: "0.85–1", min: 0.85, max: 1, checks: 2, checkedTokens: 50, matchedTokens: 48, agreement: 0.96, rougeL: 0.97}],
            budgets: [{budget: 0.15, checks: 2, checkedTokens: 50, matchedTokens: 48, agreement: 0.96, rougeL: 0.97}],
            policies: [
                {policy: "dhd-decode", checks: 1, checkedTokens: 25, matchedTokens: 25, agreement: 1, rougeL: 1},
                {policy: "boundary", checks: 1, checkedTokens: 25, matchedTokens: 23, agreement: 0.92, rougeL: 0.94}
            ]
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
        scope: null,
        scopes: ["global"],
        requests: 10,
        // Fewer than the 7 the saved threshold lets through: the cost gate turned some down.
        servedFromDonor: 3,
        costGate: true,
        computeMs: 0.5,
        current: {similarityThreshold: 0.3, recomputeBudget: 0.15, recomputePolicy: "dhd-decode"},
        threshold: {
            x,
            hitRate: hits.map((h) => h / 10),
            anyReuseRate: hits.map((h) => h / 10),
            reusedTokens: hits.map((h) => h * 10),
            promptTokens: 200,
            agreement: x.map((t) => (t <= 0.9 ? 0.96 : null))
        },
        budget: {
            x: [0, 0.15, 1],
            policy: "dhd-decode",
            policies: [
                {policy: "dhd-decode", donorRequests: 10},
                {policy: "boundary", donorRequests: 4}
            ],
            reusedTokens: [100, 85, 0],
            donorRequests: 10,
            unattributed: 0,
            agreement: [null, 0.96, null],
            checks: [0, 2, 0]
        }
    };
}

export const fakeModels: ModelFile[] = [
    {
        path: "/data/models/stories260K.gguf",
        id: "stories260K",
        sizeBytes: 1_185_376,
        source: "models-folder",
        current: true,
        architecture: "llama",
        contextLength: 512,
        problem: null
    },
    {
        path: "/data/models/TinyStories-656K-Q8_0.gguf",
        id: "TinyStories-656K-Q8_0",
        sizeBytes: 1_000_000,
        source: "models-folder",
        current: false,
        architecture: "llama",
        contextLength: 512,
        problem: null
    }
];
