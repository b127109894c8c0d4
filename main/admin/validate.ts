import {fieldChecks} from "../../shared/fieldChecks.js";
import {isReservedName, profileNamePattern} from "../../shared/names.js";
import {invalidInput} from "./errors.js";

/** Input checks for the admin operations; every failure is a 400 with the field named. */
export function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value != null && !Array.isArray(value);
}

export const {requiredString, optionalString, optionalNumber} = fieldChecks((message, param) => invalidInput(message, param));

export function objectInput(value: unknown, what: string): Record<string, unknown> {
    if (value === undefined || value === null) return {};
    if (!isObject(value)) throw invalidInput(`${what} must be a JSON object.`);
    return value;
}

/** One of `allowed`, or undefined when absent or empty (an empty query parameter means the default). */
export function optionalOneOf<T extends string>(value: unknown, param: string, allowed: readonly T[]): T | undefined {
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
        throw invalidInput(`'${param}' must be one of ${allowed.join(", ")}.`, param);
    return value as T;
}

/** true or false, or undefined when absent; a query parameter's "true" and "false" are read as those. */
export function optionalBoolean(value: unknown, param: string): boolean | undefined {
    if (value === undefined || value === null || value === "") return undefined;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    throw invalidInput(`'${param}' must be true or false.`, param);
}

/** 2000-01-01: nothing this app stores is older. */
const earliestTimestamp = 946_684_800_000;
/** Clocks of the desktop and the server may differ a little; a day ahead is an error, not skew. */
const maxClockAheadMs = 86_400_000;

export function timestamp(value: unknown, param: string, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < earliestTimestamp || value > Date.now() + maxClockAheadMs)
        throw invalidInput(`'${param}' must be a unix time in ms between the year 2000 and now.`, param);
    return Math.round(value);
}

/** A profile or group name, trimmed; a 400 when malformed or reserved. */
export function profileName(value: unknown, param: string): string {
    const name = requiredString(value, param, 64, profileNamePattern).trim();
    if (isReservedName(name)) throw invalidInput(`'${name}' is reserved; choose another ${param}.`, param, "reserved_name");
    return name;
}
