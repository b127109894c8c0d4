/**
 * The sharing settings' shape and defaults, shared by the server (main/config/settings.ts) and the
 * renderer's settings panel.
 */
import type {GpuFallback, GpuSetting} from "./llamaBackend.js";
import type {ScopePolicy} from "./scopes.js";

/**
 * Which reused tokens are recomputed when a donor's KV is edited in (all policies also compute new tokens
 * and the last prompt token):
 * - `none`: nothing else (KVShare v1);
 * - `boundary`: the first tokens after each edit, the budget split by run length;
 * - `epic`: the same number of first tokens of every reused run (EPIC);
 * - `deviation`: the tokens whose layer-1 V deviates most from the donor's (CacheBlend), measured by a probe;
 * - `dhd`: the first token after each edit (larger edits first), then the deviation weighted by the attention the last
 *   prompt token pays each token (KVShare v2, stage 1);
 * - `dhd-decode`: `dhd`, then the other measured tokens, highest deviation first, 7 per generated token while
 *   decoding (stage 2), until none is left, the answer ends or 64 tokens of it are out;
 * - `dhd-guard`: `dhd-decode`, and in a greedy answer, before taking a token whose runner-up is within a nat of it
 *   (read for a token under 73%, the most one can have with a runner-up that close), first token included, the KV
 *   after the exact common prefix is recomputed at once, in place, and the token sampled again: a near tie then goes
 *   the way full prefill's does.
 * The probing policies fall back to `boundary` where no probe can run (stock binary, an unknown graph).
 */
export const recomputePolicies = ["none", "boundary", "epic", "deviation", "dhd", "dhd-decode", "dhd-guard"] as const;
export type RecomputePolicy = (typeof recomputePolicies)[number];

/** Sorts per-policy figures the largest `count` first, ties in the settings' order (the panel's and the dashboard's lists). */
export function byCountThenPolicy<T extends {policy: RecomputePolicy}>(count: (item: T) => number): (a: T, b: T) => number {
    return (a, b) => count(b) - count(a) || recomputePolicies.indexOf(a.policy) - recomputePolicies.indexOf(b.policy);
}

/** Whether `value` names a recompute policy (input, or a column of an older database). */
export const isRecomputePolicy = (value: unknown): value is RecomputePolicy => (recomputePolicies as readonly unknown[]).includes(value);

/** The admin's knobs for semantic KV sharing. */
export interface SharingSettings {
    /** Semantic sharing (donor retrieval and KV editing). Off: exact prefix reuse only. */
    enabled: boolean;
    /** Exact prefix reuse of a sequence's own KV (the floor). Off with sharing off: full prefill, for baselines. */
    prefixReuse: boolean;
    /** Cosine similarity (0..1) a cached prompt needs to be a donor candidate. */
    similarityThreshold: number;
    /** Candidates fetched from the vector index before re-ranking by reusable tokens. */
    topK: number;
    /** Shortest run of equal tokens worth reusing. */
    minRunLength: number;
    /** Share (0..1) of kept tokens recomputed before the first token where reuse is most likely wrong (`dhd-decode` fixes more while decoding). */
    recomputeBudget: number;
    /** How the recomputed tokens are chosen. */
    recomputePolicy: RecomputePolicy;
    /**
     * A donor is used only when it lets us reuse at least this many more tokens than exact prefix reuse. A
     * prefill of a few tokens costs about one decode step, less than any donor path (probe, restore, edit),
     * and a few tokens kept from an unrelated prompt can change the answer from its first token.
     */
    minGainTokens: number;
    /**
     * Skip a donor when rates measured while serving (prefill, snapshot read, edit, the wait for the
     * editing sequence) predict it is slower than the prefix floor; the hit record's note says so.
     */
    costGate: boolean;
    embedder: "lexical" | "model";
    /**
     * Who may reuse whose KV: "global" (everyone), "group" (members of the same group), "user" (only
     * one's own). Reuse never crosses scopes.
     */
    scopePolicy: ScopePolicy;
    /** user → group name, for the "group" policy. */
    groups: Record<string, string>;
    /** Disk budget for KV snapshots, bytes. */
    maxSnapshotBytes: number;
    /** Memory budget for hot donor KV kept resident (skips the disk read), bytes. */
    maxMemoryBytes: number;
    /**
     * Admin-marked shared prefixes (system prompts, letter templates): their KV is computed from the
     * text alone and offered to every scope, so people who share nothing else still share these.
     */
    sharedPrefixes: string[];
    /**
     * Per-scope tuning (a ward, a class): scope name (`global`, `group:NAME`, `user:NAME`) → its own
     * threshold and/or budget. What a scope does not set falls back to the global value above.
     */
    scopeOverrides: Record<string, ScopeOverride>;
    /** Days of request history (dashboard, what-if curves, quality checks) kept in app.db. */
    historyDays: number;
    /**
     * Share (0..1) of shared-KV requests the idle quality monitor replays; null: the app's default
     * (off in the headless API server, on in the desktop app).
     */
    monitorShare: number | null;
}

/** A scope's own tuning; absent fields use the global settings. */
export interface ScopeOverride {
    similarityThreshold?: number;
    recomputeBudget?: number;
}

/** How the model runs: read when a model is loaded (the settings file's top-level fields, the panel's `runtime`). */
export interface RuntimeSettings {
    /** llama.cpp CPU threads. */
    threads: number;
    /** Parallel sequences (users served at once). */
    parallel: number;
    /** Tokens per sequence; "auto" lets the runtime choose from memory. */
    contextSize: number | "auto";
    /** "auto" (the GPU found), false (CPU only) or "vulkan" | "cuda" | "metal"; always a KVShare-patched build when one exists. */
    gpu: GpuSetting;
    /**
     * A GPU found without a KVShare-patched build for it: "stock-gpu" runs it with node-llama-cpp's stock
     * binary (exact prefix reuse only), "patched-cpu" keeps KV sharing on the CPU.
     */
    gpuFallback: GpuFallback;
}

export const runtimeSettingNames = ["threads", "parallel", "contextSize", "gpu", "gpuFallback"] as const satisfies ReadonlyArray<keyof RuntimeSettings>;

/**
 * The whole-number ranges of the runtime settings, the same for the settings file, the command line's flags
 * (`--threads`, `--parallel`, `--ctx-size`) and the settings panel.
 */
export const runtimeRanges = {
    // The default is the machine's hardware threads, whatever their number: the file the app writes must load.
    threads: [1, 4096],
    parallel: [1, 64],
    contextSize: [64, 1_048_576]
} as const satisfies Record<string, readonly [number, number]>;

/** The port the local API server listens on unless told otherwise (settings, `--port`). */
export const defaultApiPort = 8080;

/** The local API server's settings. */
export interface ApiSettings {
    enabled: boolean;
    host: string;
    port: number;
    /** Require the bearer key (on by default; off only by the admin's choice). */
    auth: boolean;
    /** Origins allowed to call the API from a browser, besides the app's own page. */
    corsOrigins: string[];
    /**
     * Host names (or addresses) the server may be reached by besides loopback and the address it listens
     * on, e.g. a LAN DNS name; any other Host header is refused (DNS rebinding).
     */
    allowedHosts: string[];
}

export const defaultSharingSettings: Readonly<SharingSettings> = Object.freeze({
    enabled: true,
    prefixReuse: true,
    similarityThreshold: 0.3,
    topK: 8,
    minRunLength: 4,
    recomputeBudget: 0.15,
    recomputePolicy: "dhd-decode",
    minGainTokens: 8,
    costGate: true,
    embedder: "lexical",
    scopePolicy: "global",
    groups: Object.freeze({}) as Record<string, string>,
    maxSnapshotBytes: 2 * 1024 ** 3,
    maxMemoryBytes: 512 * 1024 ** 2,
    sharedPrefixes: Object.freeze([]) as unknown as string[],
    scopeOverrides: Object.freeze({}) as Record<string, ScopeOverride>,
    historyDays: 30,
    monitorShare: null
});

/** The settings a request of `scope` runs with: the global ones, with the scope's overrides on top. */
export function effectiveSharing<T extends Pick<SharingSettings, "similarityThreshold" | "recomputeBudget" | "scopeOverrides">>(settings: T, scope: string): T {
    const override = Object.hasOwn(settings.scopeOverrides, scope) ? settings.scopeOverrides[scope] : undefined;
    if (override == null) return settings;
    return {
        ...settings,
        similarityThreshold: override.similarityThreshold ?? settings.similarityThreshold,
        recomputeBudget: override.recomputeBudget ?? settings.recomputeBudget
    };
}
