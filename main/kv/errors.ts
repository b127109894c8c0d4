/** Typed errors of the KV layer. */

/** Why a snapshot file was not handed to llama.cpp. */
export type SnapshotRefusalReason =
    /** Written for a different model file (fingerprint mismatch). */
    | "foreign-model"
    /** Checksum mismatch of header or payload, or inconsistent content. */
    | "corrupt"
    /** Shorter than its header declares. */
    | "truncated"
    /** Not a KVShare snapshot, unknown version, or an unparsable header. */
    | "bad-header"
    /** KV cache layout differs (cache types, flash attention) from the target context. */
    | "incompatible-context"
    /** More tokens than the target sequence's context size. */
    | "too-long"
    /** The file could not be read. */
    | "unreadable"
    /** A valid snapshot, but of other tokens than the index entry pointing at it (files swapped or misplaced). */
    | "wrong-entry"
    /** llama.cpp itself refused the verified payload (the sequence was cleared). */
    | "rejected-by-runtime";

/** Thrown when a snapshot must not be used; the caller should serve the request by full prefill. */
export class SnapshotRefusedError extends Error {
    /** Machine-readable refusal reason. */
    readonly reason: SnapshotRefusalReason;
    /** Path of the refused file, when known. */
    readonly filePath: string | undefined;

    constructor(reason: SnapshotRefusalReason, message: string, filePath?: string) {
        super(`snapshot refused (${reason}): ${message}${filePath != null ? ` [${filePath}]` : ""}`);
        this.name = "SnapshotRefusedError";
        this.reason = reason;
        this.filePath = filePath;
    }
}

/** Thrown when an edit plan is inconsistent (overlapping runs, token mismatch, out of range …). */
export class InvalidEditPlanError extends Error {
    constructor(message: string) {
        super(`invalid edit plan: ${message}`);
        this.name = "InvalidEditPlanError";
    }
}
