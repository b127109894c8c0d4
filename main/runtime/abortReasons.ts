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

/**
 * The server stopped (or moved to another address) and this request outlived the grace it was given: the client is
 * told so (503, or an error event that ends its stream), then its connection is closed.
 */
export class ServerStoppingError extends Error {
    public constructor() {
        super("The server is shutting down (or moving to another address): this request was cut off. Retry once it answers again.");
    }
}

/** Reasons a request is stopped for that its client is told of, rather than handed a short answer as if it had ended. */
export function toldToClient(reason: unknown): boolean {
    return reason instanceof KeyRevokedError || reason instanceof ServerStoppingError;
}
