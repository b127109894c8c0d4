/** Why a request's AbortSignal fired; the reason decides what the client sees. */

/** The request ran past `limits.requestTimeoutMs`: queued → 503, generating → finish_reason "length". */
export class RequestTimeoutError extends Error {
    public constructor(timeoutMs: number) {
        super(`The request took longer than the ${Math.round(timeoutMs / 1000)} s limit.`);
    }
}

/** The client went away (disconnect, stop button): nothing to answer, nothing to log. */
export class ClientGoneError extends Error {
    public constructor() {
        super("The client disconnected.");
    }
}

/**
 * The model this request ran on was replaced and the request did not finish within the switch's grace
 * period: 503 with retry-after (the next try runs on the new model), never a 500.
 */
export class ModelSwitchedError extends Error {
    public constructor() {
        super("The model was switched while this request ran. Retry: it will be served by the new model.");
    }
}

/** The request's API key was revoked while it ran: it stops, and the client is told why (401, or in-stream). */
export class KeyRevokedError extends Error {
    public constructor() {
        super("This API key was revoked while the request ran.");
    }
}
