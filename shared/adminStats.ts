/** What the dashboard and the settings panel's what-if curves read: request counts, cache totals, quality checks. */
import type {RecomputePolicy} from "./settings.js";

export interface StatsBucket {
    /** Bucket start, unix ms. */
    start: number;
    requests: number;
    /** Requests that reused any cached KV. */
    hits: number;
    /** Requests served from another prompt's KV (semantic or exact donor). */
    donorHits: number;
    promptTokens: number;
    reusedTokens: number;
    /** Mean TTFT of requests with reuse / without, ms, the wait for a sequence left out; null when there were none. */
    ttftWithReuseMs: number | null;
    ttftWithoutReuseMs: number | null;
    /** ≈ prefill time the reused tokens saved: reusedTokens × {@link PrefillSpeed.msPerToken}; null while that is unknown. */
    timeSavedMs: number | null;
}

/** This machine's prefill cost per prompt token, measured from requests served without any reuse. */
export interface PrefillSpeed {
    /**
     * Milliseconds per prompt token: the slope of (TTFT − queue wait − admission) against prompt tokens over those
     * requests (through the origin while their prompts are all about as long); null without any.
     */
    msPerToken: number | null;
    /** The fixed milliseconds of a prefill besides its tokens (paid with reuse too); null without any request. */
    fixedMs: number | null;
    /** How many requests it was measured from. */
    requests: number;
}

export interface TtftSummary {
    count: number;
    meanMs: number | null;
    medianMs: number | null;
    /**
     * The median prompt's length in tokens: requests with reuse are often longer (a chat's later turns), so their
     * TTFT is compared with that of prompts of another length; null for none.
     */
    medianPromptTokens: number | null;
}

export interface TopDonor {
    id: number;
    /** Times it served as donor in the window (from the request log). */
    hits: number;
    /** Lifetime hit count from the cache index (the top list holds only donors still cached). */
    lifetimeHits: number;
    prompt: string | null;
    scope: string | null;
    bytes: number | null;
}

export interface CacheStats {
    now: number;
    bucketMs: number;
    buckets: StatsBucket[];
    totals: {
        requests: number;
        /** Requests that reused any cached KV, their sequence's own prefix included (often just the chat template's). */
        hits: number;
        donorHits: number;
        /** donorHits ÷ requests: served from another prompt's KV (the what-if curves' hit rate). */
        hitRate: number;
        promptTokens: number;
        reusedTokens: number;
        /** ≈ prefill time saved over the window (see {@link StatsBucket.timeSavedMs}). */
        timeSavedMs: number | null;
    };
    ttft: {withReuse: TtftSummary; withoutReuse: TtftSummary};
    /** What the time saved is estimated from, over the same window. */
    prefill: PrefillSpeed;
    /**
     * The cache's snapshots (a scope's view: its own entries) against the disk budget, and the memory tier (KV kept
     * in memory for the donors used most recently) against its budget: the whole cache's, null in a scope's view.
     */
    cache: {entries: number; bytes: number; budgetBytes: number; memoryBytes: number | null; memoryBudgetBytes: number};
    topDonors: TopDonor[];
    /** The scope this view is limited to (a group admin's view), or null for every scope. */
    scope: string | null;
    /** Scopes with requests in the kept history, most active first (the view's choices). */
    scopes: string[];
    /** The quality monitor's checks over the last week (of `scope` when set). */
    quality: QualitySummary;
    /** Days of history kept (`sharing.historyDays`). */
    historyDays: number;
}

/** Agreement of answers decoded from shared KV with full compute (both greedy), over some checks. */
export interface QualityAgreement {
    checks: number;
    checkedTokens: number;
    /** Identical tokens before the first difference, summed. */
    matchedTokens: number;
    /** matchedTokens / checkedTokens; null without checks. */
    agreement: number | null;
    /** Mean ROUGE-L (token level); null without checks. */
    rougeL: number | null;
}

/** The quality monitor's results: overall, per similarity band, per recompute budget and per recompute policy. */
export interface QualitySummary extends QualityAgreement {
    since: number;
    /** Share of shared-KV requests sampled for a check (0: the monitor is off). */
    share: number;
    /** Sampled requests still waiting for an idle moment. */
    pending: number;
    bands: Array<QualityAgreement & {label: string; min: number; max: number}>;
    budgets: Array<QualityAgreement & {budget: number}>;
    /**
     * Per recompute policy the checked answers were served with, most checks first (checks recorded before the
     * policy was kept count in the totals only).
     */
    policies: Array<QualityAgreement & {policy: RecomputePolicy}>;
    /** When the latest check finished, unix ms; null before any. */
    lastCheckAt: number | null;
}

/** What the settings panel draws: hit rate and reuse against the threshold, reuse and quality against the budget. */
export interface WhatIfCurves {
    scope: string | null;
    /** Scopes with logged requests, most active first (the panel's choices). */
    scopes: string[];
    /** Logged requests the curves are computed from (the latest, at most 10,000). */
    requests: number;
    /**
     * Of those, the ones actually served from a donor. The curves replay the threshold alone; the cost gate
     * (when on) also serves a request from its own prefix where that is predicted faster, so fewer are.
     */
    servedFromDonor: number;
    /** Whether the cost gate is on now. */
    costGate: boolean;
    /** Milliseconds the server spent reading and computing. */
    computeMs: number;
    /** The values in effect for `scope` (its overrides over the globals). */
    current: {similarityThreshold: number; recomputeBudget: number; recomputePolicy: RecomputePolicy};
    threshold: {
        /** Thresholds 0, 0.01, …, 1. */
        x: number[];
        /** Hit rate: the share of requests that would be served from a donor's (shared) KV. */
        hitRate: number[];
        /** Share of requests that would reuse any KV, their sequence's own prefix included. */
        anyReuseRate: number[];
        /** Prompt tokens the donor (or the prefix floor) would cover, before recompute. */
        reusedTokens: number[];
        promptTokens: number;
        /**
         * The quality monitor's measured agreement of the checked answers whose donor was at least this
         * similar (what raising the threshold keeps); null where no check is that similar.
         */
        agreement: Array<number | null>;
    };
    budget: {
        x: number[];
        /** The recompute policy the curve is for: a budget recomputes different tokens under each. */
        policy: RecomputePolicy;
        /** Donor requests per recompute policy they were served with, most first (the curves there are). */
        policies: Array<{policy: RecomputePolicy; donorRequests: number}>;
        /** Prompt tokens left reused by the donor requests served with `policy` at each budget. */
        reusedTokens: number[];
        /** Donor requests behind `reusedTokens`. */
        donorRequests: number;
        /**
         * Donor requests logged by an earlier version (before the log kept their recompute policy, or when a budget
         * was a share of every kept token): on no policy's curve.
         */
        unattributed: number;
        /** The quality monitor's measured agreement at each budget (null where it has no checks). */
        agreement: Array<number | null>;
        checks: number[];
    };
}
