import type {IncomingMessage} from "node:http";
import {ApiError} from "./errors.js";

const utf8 = new TextDecoder("utf-8", {fatal: true});

/** A share of a key's in-flight body bytes: `take` reserves bytes until the response ends, false past the limit. */
export interface ByteBudget {
    readonly limit: number;
    take(bytes: number): boolean;
}

/**
 * Reads a JSON request body: refuses bodies over `limit` bytes (413), non-UTF-8 bytes and malformed
 * JSON (400), and anything but a JSON object (400).
 */
export async function readJsonObject(req: IncomingMessage, limit: number, budget?: ByteBudget): Promise<Record<string, unknown>> {
    const encoding = req.headers["content-encoding"];
    if (encoding != null && encoding.trim().toLowerCase() !== "identity")
        throw new ApiError(
            415,
            "invalid_request_error",
            `Request bodies sent with Content-Encoding '${encoding}' are not accepted: send plain JSON.`,
            "unsupported_encoding"
        );
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) throw tooLarge(limit);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) throw tooLarge(limit);
        if (budget != null && !budget.take(chunk.length))
            throw new ApiError(
                429,
                "rate_limit_error",
                `Too many request bytes in flight for this key (limit ${budget.limit} bytes). Retry when a request finishes.`,
                "rate_limit_exceeded",
                null,
                {"retry-after": "1"}
            );
        chunks.push(chunk);
    }
    let text: string;
    try {
        text = utf8.decode(Buffer.concat(chunks));
    } catch {
        throw ApiError.badRequest("The request body is not valid UTF-8.", null, "invalid_encoding");
    }
    if (text.trim() === "") throw ApiError.badRequest("The request body is empty; a JSON object is required.", null, "invalid_json");
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        throw ApiError.badRequest(`The request body is not valid JSON: ${(error as Error).message}`, null, "invalid_json");
    }
    if (typeof value !== "object" || value == null || Array.isArray(value))
        throw ApiError.badRequest("The request body must be a JSON object.", null, "invalid_json");
    return value as Record<string, unknown>;
}

function tooLarge(limit: number): ApiError {
    return new ApiError(413, "invalid_request_error", `The request body is larger than the limit of ${limit} bytes.`, "request_too_large");
}
