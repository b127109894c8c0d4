/**
 * Types of a token alignment between a donor (cached) prompt and a target (new) prompt.
 * An alignment's runs are the KV editing layer's `KeptRun`s, passed straight to it as `plan.keptRuns`.
 */
import type {KeptRun} from "../../kv/index.js";

/** Kinds of edit-script steps, as in the paper's v1 aligner (Keep / Replace / Insert / Delete). */
export type EditOpKind = "keep" | "replace" | "insert" | "delete";

/**
 * One step of the edit script that turns the donor into the target, in order.
 * `keep` and `replace` consume `length` tokens of both sequences, `insert` only target tokens,
 * `delete` only donor tokens.
 */
export interface EditOp {
    readonly op: EditOpKind;
    readonly donorStart: number;
    readonly targetStart: number;
    readonly length: number;
}

/** Token counts per edit kind. `keep + replace + insert === target length`, `keep + replace + delete === donor length`. */
export interface EditSummary {
    readonly keep: number;
    readonly replace: number;
    readonly insert: number;
    readonly delete: number;
}

/** Result of {@link alignTokens}. */
export interface Alignment {
    /** Kept runs, strictly increasing in both donor and target positions, non-overlapping, each
     * at least `minRunLength` long (except an exact common prefix, see `AlignOptions.keepShortPrefix`). */
    readonly runs: readonly KeptRun[];
    /** The full edit script (keep / replace / insert / delete), in order. */
    readonly ops: readonly EditOp[];
    readonly summary: EditSummary;
    /** Target tokens covered by kept runs (= `summary.keep`). */
    readonly reusedTokens: number;
    readonly donorLength: number;
    readonly targetLength: number;
}

/** Options of {@link alignTokens}. */
export interface AlignOptions {
    /** Shortest run of equal tokens worth reusing (default 4). Shorter matches are treated as edits:
     * a stray match of one or two tokens saves almost no compute, and its KV was computed in an
     * unrelated context. Also the window length of the anchor hash. */
    readonly minRunLength?: number;
    /**
     * Keep a common prefix even when it is shorter than `minRunLength` (default true). A common
     * prefix is exact reuse — its KV saw the same left context — so the "stray match" argument does
     * not apply to it.
     */
    readonly keepShortPrefix?: boolean;
    /**
     * How many donor occurrences of one anchor window are examined per target position (default 32).
     * Bounds the work on highly repetitive inputs (long runs of one token); ordinary text never
     * reaches it. Runs missed because of the cap are only missed reuse, never a wrong alignment.
     */
    readonly maxCandidatesPerWindow?: number;
}

/** Default minimum kept-run length (tokens). KVShare v2 used anchor windows of 2–7 tokens; 4 keeps
 * the runs meaningful for KV reuse while still catching short shared phrases. */
export const DEFAULT_MIN_RUN_LENGTH = 4;

/** A read-only sequence of token ids (`number[]`, `Int32Array`, node-llama-cpp `Token[]`). */
export type TokenSeq = ArrayLike<number>;
