import type {ApiErrorBody} from "../../../shared/openai.js";

/** An error from the API, carrying the HTTP status and the OpenAI-style type/code when known. */
export class ApiError extends Error {
    constructor(
        message: string,
        readonly status: number | null,
        readonly type: string | null = null,
        readonly code: string | null = null
    ) {
        super(message);
        this.name = "ApiError";
    }
}

export function isUnauthorized(error: unknown): boolean {
    return error instanceof ApiError && error.status === 401;
}

export function errorMessage(error: unknown): string {
    if (error instanceof Error) return error.message;
    return String(error);
}

function isErrorBody(value: unknown): value is ApiErrorBody {
    if (typeof value !== "object" || value === null || !("error" in value)) return false;
    const inner = (value as {error: unknown}).error;
    return typeof inner === "object" && inner !== null && typeof (inner as {message?: unknown}).message === "string";
}

/** Builds an ApiError from a parsed body (`{"error": {...}}`) or falls back to a generic message. */
export function apiErrorFrom(body: unknown, status: number | null, fallback: string): ApiError {
    if (isErrorBody(body)) return new ApiError(body.error.message, status, body.error.type ?? null, body.error.code ?? null);
    return new ApiError(fallback, status);
}

/** Reads a non-2xx response into an ApiError, showing the server's message when it sent one. */
export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
    const text = await response.text().catch(() => "");
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        body = null;
    }
    const fallback = `${response.status} ${response.statusText}`.trim() + (text && body === null ? `: ${text.slice(0, 200)}` : "");
    return apiErrorFrom(body, response.status, fallback);
}
