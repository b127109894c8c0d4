/**
 * Checks of an operation's input fields, worded alike wherever they are made: the server's admin operations and
 * the renderer's test double of them (whose answers are held to the server's) both take these, each with its own
 * way to build the 400 for a bad field.
 */

/** Builds the error for a bad field: `message` says what is wrong, `param` names the field. */
export type InvalidField = (message: string, param: string) => Error;

/** The field checks, each throwing what `invalid` builds. */
export interface FieldChecks {
    /** A non-empty string of at most `max` characters, matching `pattern` where one is given. */
    requiredString(value: unknown, param: string, max?: number, pattern?: RegExp): string;
    /** A string of at most `max` characters, or undefined when absent. */
    optionalString(value: unknown, param: string, max: number): string | undefined;
    /** A number in [min, max] (a query parameter's string read as one), or undefined when absent or empty. */
    optionalNumber(value: unknown, param: string, min: number, max: number): number | undefined;
}

export function fieldChecks(invalid: InvalidField): FieldChecks {
    return {
        requiredString(value, param, max = 200, pattern) {
            if (typeof value !== "string" || value.trim() === "") throw invalid(`'${param}' must be a non-empty string.`, param);
            if (value.length > max) throw invalid(`'${param}' must be at most ${max} characters.`, param);
            if (pattern != null && !pattern.test(value)) throw invalid(`'${param}' has characters that are not allowed.`, param);
            return value;
        },
        optionalString(value, param, max) {
            if (value === undefined || value === null) return undefined;
            if (typeof value !== "string") throw invalid(`'${param}' must be a string.`, param);
            if (value.length > max) throw invalid(`'${param}' must be at most ${max} characters.`, param);
            return value;
        },
        optionalNumber(value, param, min, max) {
            if (value === undefined || value === null || value === "") return undefined;
            const n = typeof value === "string" ? Number(value) : value;
            if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max)
                throw invalid(`'${param}' must be a number between ${min} and ${max}.`, param);
            return n;
        }
    };
}
