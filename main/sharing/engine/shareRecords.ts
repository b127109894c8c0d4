/** The `kvshare` record a response carries: what of its prompt was reused, from where, and what it cost. */
import type {Token} from "node-llama-cpp";
import type {KvShareRecord} from "../../../shared/openai.js";
import type {RecomputePolicy} from "../../../shared/settings.js";
import type {KvReuseReport} from "../../kv/index.js";
import type {ReuseSummary} from "../policy/index.js";
import {sharedScope} from "./scopes.js";
import {round3, roundStages} from "./stages.js";
import type {Candidate, SharedPrompt, Stages} from "./types.js";

/** What a prompt served from a donor's edited KV is described by. */
export interface SemanticRecordInput {
    prompt: SharedPrompt;
    best: Candidate;
    tier: "memory" | "disk";
    /** The opaque stand-in for the donor's id shown to others than the machine owner. */
    publicDonorId: number;
    summary: ReuseSummary;
    stages: Stages;
    /** The recompute policy that chose the recomputed tokens (a measured one falls back where it cannot measure). */
    policy: RecomputePolicy;
    note?: string;
    /** Each token's text as it reads in place (for `detail`). */
    pieces(tokens: readonly Token[]): string[];
}

/** The record of a prompt served from a donor. */
export function semanticRecord({prompt, best, tier, publicDonorId, summary, stages, policy, note, pieces}: SemanticRecordInput): KvShareRecord {
    const showText = prompt.revealDonor && sameSender(best.entry, prompt);
    const record: KvShareRecord = {
        mode: "semantic",
        prompt_tokens: prompt.tokens.length,
        reused_tokens: summary.counts.reused,
        computed_tokens: summary.counts.recomputed + summary.counts.new,
        recomputed_tokens: summary.counts.recomputed,
        scope: prompt.scope,
        // For others than the machine owner the donor's id is opaque and the tier left out: a
        // global counter and a memory tier shared by every scope would show other scopes' activity.
        donor: {
            // The index's own id and the tier only with the text: without it they would still tell one sender about another's.
            id: showText ? best.entry.id : publicDonorId,
            similarity: round3(best.similarity),
            exact: best.exact,
            tokens: best.entry.tokens.length,
            ...(showText ? {tier} : {}),
            ...(showText ? {prompt: best.entry.promptText} : prompt.revealDonor ? {prompt_hidden: true} : {})
        },
        segments: summary.segments.map(({label, start, end}) => ({label, start, end})),
        runs: best.alignment.runs.map((run) => ({donor_start: run.donorStart, target_start: run.targetStart, length: run.length})),
        stages: roundStages(stages),
        recompute_policy: policy,
        ...(note == null ? {} : {note})
    };
    if (prompt.detail) {
        record.prompt_pieces = pieces(prompt.tokens);
        if (showText) record.donor_pieces = pieces([...best.entry.tokens] as Token[]);
    }
    return record;
}

/**
 * Whether a donor's text may be shown to the requester: the app's key serves every profile of a shared desktop,
 * and one profile's prompt (a patient's notes) is not another's to read, though its KV may be shared. A marked
 * shared prefix is the admin's configuration, not anyone's prompt. Requests that name no sender (the owner's own
 * scripts) are one sender; prompts cached before senders were kept read as theirs.
 */
function sameSender(entry: Candidate["entry"], prompt: SharedPrompt): boolean {
    return entry.scope === sharedScope || (entry.owner ?? undefined) === prompt.owner;
}

/** The record of a prompt served from the floor (the sequence's own prefix, or nothing): `note` says why. */
export function floorRecord(report: KvReuseReport, prompt: SharedPrompt, stages: Stages, note: string): KvShareRecord {
    return {
        mode: report.mode,
        prompt_tokens: prompt.tokens.length,
        reused_tokens: report.reusedTokens,
        computed_tokens: prompt.tokens.length - report.reusedTokens,
        recomputed_tokens: 0,
        scope: prompt.scope,
        stages: roundStages(stages),
        note
    };
}
