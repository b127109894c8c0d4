/** What went wrong in an admin operation, independent of the channel (HTTP or desktop IPC) that asked. */
export type AdminErrorKind = "invalid_input" | "not_found" | "conflict" | "unavailable";

/**
 * A refused admin operation. Services throw it; the HTTP layer maps the kind to a status and an
 * OpenAI-style error body, the IPC layer passes the message on.
 */
export class AdminError extends Error {
    public constructor(
        public readonly kind: AdminErrorKind,
        message: string,
        /** Machine-readable reason (the error body's `code`). */
        public readonly code: string,
        /** The input field at fault, when one is. */
        public readonly param: string | null = null,
        /** For "unavailable": when asking again may work. */
        public readonly retryAfterSeconds?: number
    ) {
        super(message);
        this.name = "AdminError";
    }
}

/** Bad input: a missing, malformed or out-of-range field. */
export function invalidInput(message: string, param: string | null = null, code = "invalid_request"): AdminError {
    return new AdminError("invalid_input", message, code, param);
}
