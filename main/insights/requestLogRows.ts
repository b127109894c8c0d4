import type {KvShareRecord} from "../../shared/openai.js";
import type {RecomputePolicy} from "../../shared/settings.js";
import type {CandidatePoint} from "../sharing/engine/candidates.js";
import type {StatsRow} from "./StatsColumns.js";

/* The request log's rows: what an entry holds, and how it reads back (a summary, the dashboard's columns). */

/** What the dashboard, the what-if curves and the quality monitor need to know about one served request. */
export interface RequestLogEntry {
    /** Row id once stored. */
    id?: number;
    /** Unix milliseconds when the request finished. */
    at: number;
    user: string;
    scope: string;
    mode: KvShareRecord["mode"];
    promptTokens: number;
    reusedTokens: number;
    completionTokens: number;
    ttftMs: number;
    donorId?: number;
    recomputedTokens?: number;
    queueMs?: number;
    /** The donor's similarity, when one was used. */
    donorSimilarity?: number;
    /** The retrieved candidate that would reuse the most tokens at any threshold: its similarity and tokens. */
    bestSimilarity?: number;
    reusableTokens?: number;
    /** Prompt tokens exact prefix reuse of the sequence's own KV gave (what a donor must beat). */
    prefixFloor?: number;
    /** The knobs in effect for the request's scope. */
    threshold?: number;
    budget?: number;
    minGain?: number;
    /** The sharing scope policy in effect (global, group, user). */
    policy?: string;
    /** The recompute policy the request was served with. */
    recomputePolicy?: RecomputePolicy;
    /** Candidate frontier (see `candidateFrontier`). */
    candidates?: CandidatePoint[];
    /** Prompt tokens reused at each step of `budgetLadder` (donor requests only). */
    budgetReuse?: number[];
    stages?: Record<string, number>;
    /** The prompt's tokens, kept only when the request is sampled for a quality check. */
    replayTokens?: readonly number[];
}

/** What the log reads back for the dashboard (no curves data, no tokens). */
export type RequestSummary = Pick<
    RequestLogEntry,
    "id" | "at" | "user" | "scope" | "mode" | "promptTokens" | "reusedTokens" | "completionTokens" | "ttftMs" | "donorId"
> & {
    /** Waiting for a sequence, ms (0 when not logged). */
    queueMs: number;
    /** Admission (embed, retrieve, align), ms: with the queue wait, what TTFT holds besides prefill. */
    admissionMs: number;
};

/** The part of a request's stages that is admission. */
const admissionStages = ["embed_ms", "retrieve_ms", "align_ms"] as const;

export const summaryColumns =
    "id, at, user, scope, mode, prompt_tokens, reused_tokens, completion_tokens, ttft_ms, donor_id, queue_ms, " +
    admissionStages.map((stage) => `COALESCE(json_extract(stages, '$.${stage}'), 0)`).join(" + ") +
    " AS admission_ms";
/** The dashboard's columns (see {@link StatsColumns}); admission only where a prefill rate is computed from it. */
export const statsSelectColumns =
    "id, at, scope, prompt_tokens, reused_tokens, donor_id, ttft_ms, queue_ms, CASE WHEN reused_tokens <= 0 AND prompt_tokens > 0 THEN " +
    admissionStages.map((stage) => `COALESCE(json_extract(stages, '$.${stage}'), 0)`).join(" + ") +
    " END AS admission_ms";

export interface SummaryRow {
    id: number;
    at: number;
    user: string;
    scope: string;
    mode: string;
    prompt_tokens: number;
    reused_tokens: number;
    completion_tokens: number;
    ttft_ms: number;
    donor_id: number | null;
    queue_ms: number;
    admission_ms: number;
}

export function toSummary(row: SummaryRow): RequestSummary {
    return {
        id: row.id,
        at: row.at,
        user: row.user,
        scope: row.scope,
        mode: row.mode as RequestSummary["mode"],
        promptTokens: row.prompt_tokens,
        reusedTokens: row.reused_tokens,
        completionTokens: row.completion_tokens,
        ttftMs: row.ttft_ms,
        ...(row.donor_id == null ? {} : {donorId: row.donor_id}),
        queueMs: row.queue_ms,
        admissionMs: row.admission_ms
    };
}

export function summaryOf(entry: RequestLogEntry): RequestSummary {
    const {id, at, user, scope, mode, promptTokens, reusedTokens, completionTokens, ttftMs, donorId} = entry;
    return {
        ...(id == null ? {} : {id}),
        at,
        user,
        scope,
        mode,
        promptTokens,
        reusedTokens,
        completionTokens,
        ttftMs,
        ...(donorId == null ? {} : {donorId}),
        queueMs: entry.queueMs ?? 0,
        admissionMs: admissionStages.reduce((sum, stage) => sum + (entry.stages?.[stage] ?? 0), 0)
    };
}

export function statsRowOf(entry: RequestLogEntry): Omit<StatsRow, "id"> {
    const summary = summaryOf(entry);
    return {...summary, donorId: summary.donorId ?? null};
}

export function json(value: unknown): string | null {
    return value == null ? null : JSON.stringify(value);
}
