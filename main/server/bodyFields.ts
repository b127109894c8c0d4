/**
 * Typed reads of a request body's optional fields, each refusing a wrong type or range with a 400 that names the
 * field (OpenAI's `param`), so every parser words its errors alike.
 */
import {ApiError} from "./errors.js";

/** A request's JSON body (or an object nested in it). */
export type Body = Record<string, unknown>;

/** `body[name]` as a number in [min, max]; `parent` ("x_kvshare.") prefixes the name in messages and `param`. */
export function optionalNumber(body: Body, name: string, min: number, max: number, parent = ""): number | undefined {
    const value = body[name];
    const param = parent + name;
    if (value == null) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value)) throw ApiError.badRequest(`'${param}' must be a number.`, param);
    if (value < min || value > max) throw ApiError.badRequest(`'${param}' must be between ${min} and ${max}; got ${value}.`, param);
    return value;
}

/** `body[name]` as an integer in [min, max]. */
export function optionalInteger(body: Body, name: string, min: number, max: number): number | undefined {
    const value = optionalNumber(body, name, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    if (value == null) return undefined;
    if (!Number.isInteger(value)) throw ApiError.badRequest(`'${name}' must be an integer.`, name);
    if (value < min || value > max) throw ApiError.badRequest(`'${name}' must be between ${min} and ${max}; got ${value}.`, name);
    return value;
}

/** `body[name]` as a boolean; `parent` as for {@link optionalNumber}. */
export function optionalBoolean(body: Body, name: string, parent = ""): boolean | undefined {
    const value = body[name];
    const param = parent + name;
    if (value == null) return undefined;
    if (typeof value !== "boolean") throw ApiError.badRequest(`'${param}' must be a boolean.`, param);
    return value;
}
