import {isDiskFull} from "../common/diskSpace.js";
import type {ServerResponse} from "node:http";
import type {ApiErrorBody, ApiErrorType} from "../../shared/openai.js";
import {AdminError, type AdminErrorKind} from "../admin/errors.js";
import {KeysUnavailableError} from "../config/apiKeys.js";
import {KeyRevokedError, ModelSwitchedError, RequestTimeoutError, ServerStoppingError} from "../runtime/abortReasons.js";
import {ContextOverflowError, ModelUnavailableError, UnsupportedOutputFormatError} from "../runtime/errors.js";
import {QueueFullError, QueueTimeoutError} from "../runtime/SequencePool.js";

/** An error that becomes an OpenAI-style JSON response with its HTTP status. */
export class ApiError extends Error {
    public constructor(
        public readonly status: number,
        public readonly type: ApiErrorType,
        message: string,
        public readonly code: string | null = null,
        public readonly param: string | null = null,
        public readonly headers: Record<string, string> = {}
    ) {
        super(message);
    }

    public static badRequest(message: string, param: string | null = null, code: string | null = "invalid_request"): ApiError {
        return new ApiError(400, "invalid_request_error", message, code, param);
    }

    public toBody(): ApiErrorBody {
        return {error: {message: this.message, type: this.type, param: this.param, code: this.code}};
    }
}

/** How each kind of refused admin operation reads over HTTP. */
const adminErrorStatus: Record<AdminErrorKind, {status: number; type: ApiErrorType}> = {
    invalid_input: {status: 400, type: "invalid_request_error"},
    not_found: {status: 404, type: "not_found_error"},
    conflict: {status: 409, type: "invalid_request_error"},
    unavailable: {status: 503, type: "unavailable_error"}
};

/** Maps anything thrown while serving a request to the error the client should see. */
export function toApiError(error: unknown): ApiError {
    if (error instanceof ApiError) return error;
    if (error instanceof AdminError) {
        const {status, type} = adminErrorStatus[error.kind];
        return new ApiError(
            status,
            type,
            error.message,
            error.code,
            error.param,
            error.retryAfterSeconds == null ? {} : {"retry-after": String(error.retryAfterSeconds)}
        );
    }
    if (error instanceof UnsupportedOutputFormatError) return new ApiError(400, "invalid_request_error", error.message, "unsupported_schema", error.param);
    if (error instanceof ContextOverflowError) return new ApiError(400, "exceed_context_size_error", error.message, "context_length_exceeded", null);
    if (error instanceof QueueFullError)
        return new ApiError(503, "unavailable_error", error.message, "server_busy", null, {"retry-after": String(error.retryAfterSeconds)});
    if (error instanceof QueueTimeoutError) return new ApiError(503, "unavailable_error", error.message, "queue_timeout", null, {"retry-after": "1"});
    if (error instanceof KeyRevokedError) return new ApiError(401, "authentication_error", error.message, "invalid_api_key");
    if (error instanceof RequestTimeoutError) return new ApiError(503, "unavailable_error", error.message, "request_timeout", null, {"retry-after": "1"});
    if (error instanceof ServerStoppingError) return new ApiError(503, "unavailable_error", error.message, "server_stopping", null, {"retry-after": "5"});
    if (error instanceof ModelSwitchedError) return new ApiError(503, "unavailable_error", error.message, "model_switched", null, {"retry-after": "1"});
    if (error instanceof KeysUnavailableError)
        return new ApiError(503, "unavailable_error", error.message, "keys_unavailable", null, {"retry-after": String(error.retryAfterSeconds)});
    if (error instanceof ModelUnavailableError) return new ApiError(503, "unavailable_error", error.message, "model_unavailable", null, {"retry-after": "5"});
    // The data folder's disk: what the admin must act on, said as such (WebDAV's 507), not as a bug of the server.
    if (isDiskFull(error))
        return new ApiError(
            507,
            "server_error",
            `The disk holding the app's data folder is full (${error instanceof Error ? error.message : String(error)}): free some space there.`,
            "disk_full"
        );
    return new ApiError(500, "server_error", "Internal server error: " + (error instanceof Error ? error.message : String(error)), "internal_error");
}

/** Writes an error response (unless headers were already sent, e.g. mid-stream), with extra headers (CORS). */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): void {
    const apiError = toApiError(error);
    if (res.headersSent) return;
    sendJson(res, apiError.status, apiError.toBody(), {...headers, ...apiError.headers});
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
        ...headers,
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(payload)
    });
    res.end(payload);
}
