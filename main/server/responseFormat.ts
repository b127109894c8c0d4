/**
 * `response_format` (OpenAI structured output): `text`, `json_object` (any JSON object) or `json_schema`
 * (an object matching the given JSON Schema). The schema is checked here and rewritten into the subset
 * node-llama-cpp turns into a grammar, because its converter does not refuse what it cannot express: it
 * turns an unknown type, `anyOf` or `{}` into a grammar that only allows `null`, which would answer a
 * client with `null` instead of an error. What cannot be enforced is refused with the path to it.
 */
import type {OutputFormat} from "../runtime/types.js";
import {ApiError} from "./errors.js";
import {anyValue, endlessDefinition, satisfiable} from "./schemaConstraints.js";

type Schema = Record<string, unknown>;

const formatParam = "response_format";
const schemaParam = "response_format.json_schema.schema";

/** Keywords that only describe (JSON Schema annotations): dropped. `format` is one too unless asserted. */
const annotations = new Set(["title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "strict"]);
/** Formats the grammar can enforce; other formats are annotations (JSON Schema's default reading). */
const enforcedFormats = new Set(["date-time", "time", "date"]);
const basicTypes = new Set(["string", "number", "integer", "boolean", "null"]);
const knownKeywords = new Set([
    "type",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "format",
    "$ref",
    "$defs",
    "definitions"
]);
/** Deepest nesting accepted (a grammar per request is built from it on the event loop). */
const maxDepth = 32;
/** OpenAI's limits on a structured-output schema: enum values and object properties, counted over the whole schema. */
const maxEnumValues = 1000;
const maxProperties = 5000;
const maxSchemaCharacters = 120_000;

/** The request's `response_format`, checked; undefined for none or `text`. */
export function parseResponseFormat(body: Record<string, unknown>): OutputFormat | undefined {
    const raw = body.response_format;
    if (raw == null) return undefined;
    if (typeof raw !== "object" || Array.isArray(raw))
        throw ApiError.badRequest('\'response_format\' must be an object such as {"type": "json_object"}.', formatParam);
    const format = raw as Schema;
    switch (format.type) {
        case "text":
            return undefined;
        case "json_object":
            // llama-server also takes a schema here; so do we.
            return {
                schema: format.schema == null ? {type: "object", additionalProperties: true} : toGrammarSchema(format.schema, "response_format.schema"),
                param: formatParam
            };
        case "json_schema": {
            const spec = format.json_schema;
            if (spec == null || typeof spec !== "object" || Array.isArray(spec))
                throw ApiError.badRequest("'response_format.json_schema' must be an object with a 'schema'.", "response_format.json_schema");
            const schema = (spec as Schema).schema;
            if (schema == null) throw ApiError.badRequest("'response_format.json_schema.schema' is required.", schemaParam);
            return {schema: toGrammarSchema(schema, schemaParam), param: formatParam};
        }
        default:
            throw ApiError.badRequest('\'response_format.type\' must be one of "text", "json_object", "json_schema".', "response_format.type");
    }
}

/**
 * A JSON Schema rewritten for node-llama-cpp's grammar: `anyOf` as `oneOf` (a grammar generates, it does not
 * validate, so "exactly one" and "at least one" allow the same texts), `definitions` as `$defs`, `{}` as any
 * value, an object without properties as any object; annotations dropped. Throws a 400 naming the first
 * keyword or type it cannot enforce.
 */
export function toGrammarSchema(schema: unknown, param: string): Schema {
    // Its grammar is built on the event loop: a bound on the whole, besides the counts below.
    if (JSON.stringify(schema ?? null).length > maxSchemaCharacters) throw refused(param, "", `a schema over ${maxSchemaCharacters} characters of JSON`);
    const defs = new Set<string>();
    if (schema != null && typeof schema === "object" && !Array.isArray(schema))
        for (const key of ["$defs", "definitions"]) {
            const group = (schema as Schema)[key];
            if (group != null && typeof group === "object") for (const name of Object.keys(group)) defs.add(name);
        }
    const rewritten = rewrite(schema, param, "", {defs, enumValues: 0, properties: 0}, 0);
    const endless = endlessDefinition(rewritten);
    if (endless != null) throw unsatisfiable(param, `.$defs.${endless}`, "a value of it must contain another without end");
    return rewritten;
}

/** What a schema walk carries: the root's definitions, and the counts its size limits bound. */
interface Walk {
    readonly defs: ReadonlySet<string>;
    enumValues: number;
    properties: number;
}

function rewrite(schema: unknown, param: string, at: string, walk: Walk, depth: number): Schema {
    if (depth > maxDepth) throw refused(param, at, `nesting deeper than ${maxDepth} levels`);
    if (schema === true) return anyValue;
    if (schema == null || typeof schema !== "object" || Array.isArray(schema)) throw invalid(param, at, "must be a JSON Schema object");
    const out: Schema = {};
    for (const [key, value] of Object.entries(schema as Schema)) {
        if (annotations.has(key)) continue;
        if (!knownKeywords.has(key)) throw refused(param, at, `the keyword '${key}'`);
        const here = `${at}.${key}`;
        switch (key) {
            case "type":
                out.type = checkType(value, param, here);
                break;
            case "oneOf":
            case "anyOf": {
                if (!Array.isArray(value) || value.length === 0) throw invalid(param, here, "must be a non-empty array of schemas");
                if (out.oneOf != null) throw refused(param, at, "both 'oneOf' and 'anyOf'");
                out.oneOf = value.map((s, i) => rewrite(s, param, `${here}[${i}]`, walk, depth + 1));
                break;
            }
            case "properties": {
                if (value == null || typeof value !== "object" || Array.isArray(value)) throw invalid(param, here, "must be an object of schemas");
                walk.properties += Object.keys(value as Schema).length;
                if (walk.properties > maxProperties) throw refused(param, here, `more than ${maxProperties} properties in all`);
                out.properties = Object.fromEntries(
                    Object.entries(value as Schema).map(([name, s]) => [name, rewrite(s, param, `${here}.${name}`, walk, depth + 1)])
                );
                break;
            }
            case "additionalProperties":
                out[key] = typeof value === "boolean" ? value : rewrite(value, param, here, walk, depth + 1);
                break;
            case "items":
                // `items: false` (no items past `prefixItems`) is a count limit for the grammar.
                if (value === false) out.maxItems = Math.min((out.maxItems as number | undefined) ?? Infinity, prefixLength(schema as Schema));
                else out.items = rewrite(value, param, here, walk, depth + 1);
                break;
            case "prefixItems":
                if (!Array.isArray(value)) throw invalid(param, here, "must be an array of schemas");
                out.prefixItems = value.map((s, i) => rewrite(s, param, `${here}[${i}]`, walk, depth + 1));
                break;
            case "$defs":
            case "definitions": {
                if (value == null || typeof value !== "object" || Array.isArray(value)) throw invalid(param, here, "must be an object of schemas");
                out.$defs = {
                    ...((out.$defs as Schema | undefined) ?? {}),
                    ...Object.fromEntries(Object.entries(value as Schema).map(([name, s]) => [name, rewrite(s, param, `${here}.${name}`, walk, depth + 1)]))
                };
                break;
            }
            case "$ref": {
                const name = typeof value === "string" ? /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(value)?.[1] : undefined;
                if (name == null || !walk.defs.has(name))
                    throw refused(param, here, `a reference other than one to the root's "$defs" (got ${JSON.stringify(value)})`);
                out.$ref = `#/$defs/${name}`;
                break;
            }
            case "format":
                if (typeof value !== "string") throw invalid(param, here, "must be a string");
                if (enforcedFormats.has(value)) out.format = value;
                break;
            case "enum":
                if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar))
                    throw refused(param, here, "an enum other than a non-empty list of strings, numbers, booleans or null");
                // Sampling through a grammar of thousands of alternatives takes seconds per token.
                walk.enumValues += value.length;
                if (walk.enumValues > maxEnumValues) throw refused(param, here, `more than ${maxEnumValues} enum values in all`);
                out.enum = value;
                break;
            case "const":
                if (!isScalar(value)) throw refused(param, here, "a const other than a string, number, boolean or null");
                out.const = value;
                break;
            case "required":
                if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw invalid(param, here, "must be an array of property names");
                out.required = value;
                break;
            default:
                // The numeric limits (lengths, item and property counts); `items: false` may have set a lower maxItems.
                if (!Number.isInteger(value) || (value as number) < 0) throw invalid(param, here, "must be a non-negative integer");
                out[key] = key === "maxItems" && out.maxItems != null ? Math.min(out.maxItems as number, value as number) : value;
        }
    }
    return completed(out, param, at);
}

const prefixLength = (schema: Schema): number => (Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0);

/**
 * Fills what JSON Schema implies but the grammar would read otherwise. node-llama-cpp reads the first of
 * `$ref`, `oneOf`, `const`, `enum`, `type` and ignores the keywords beside it: what they would constrain is
 * pushed into the branches of a union, reconciled with an enum or const, or refused.
 */
function completed(given: Schema, param: string, at: string): Schema {
    const constraining = Object.keys(given).filter((k) => k !== "$defs");
    // `{}` allows any value (the grammar would allow only null).
    if (constraining.length === 0) return {...anyValue, ...given};
    const schema = satisfiable(given, (what) => unsatisfiable(param, at, what));
    if (schema.$ref != null && Object.keys(schema).some((k) => k !== "$ref" && k !== "$defs"))
        throw refused(param, at, "keywords beside '$ref' (put them in the definition)");
    if (schema.$ref != null) return schema;
    if (schema.oneOf != null) {
        const {oneOf, $defs, ...beside} = schema;
        if (Object.keys(beside).length === 0) return schema;
        // Keywords beside a union hold in every branch: pushed down, each branch completed again.
        const branches = (oneOf as Schema[]).map((branch) => completed({...beside, ...branch}, param, at));
        return {...($defs == null ? {} : {$defs}), oneOf: branches};
    }
    if (schema.enum != null || schema.const != null) return schema;
    if (schema.type == null && (schema.properties != null || schema.additionalProperties != null)) schema.type = "object";
    if (schema.type == null && (schema.items != null || schema.prefixItems != null)) schema.type = "array";
    if (schema.type == null) throw refused(param, at, "a schema without 'type', 'enum', 'const', 'oneOf' / 'anyOf' or '$ref'");
    const types = ([] as string[]).concat(schema.type as string | string[]);
    if (types.length > 1) {
        // A list of types is read alone (a string's maxLength beside it would be dropped): a union of one each.
        const {type: _t, $defs, ...rest} = schema;
        return {...($defs == null ? {} : {$defs}), oneOf: types.map((t) => completed({...rest, type: t}, param, at))};
    }
    // An object with no properties named allows any properties, unless it says otherwise.
    if (schema.type === "object" && schema.properties == null && schema.additionalProperties == null) schema.additionalProperties = true;
    return schema;
}

function checkType(value: unknown, param: string, at: string): string | string[] {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw invalid(param, at, "must name at least one type");
    for (const t of list)
        if (typeof t !== "string" || !(basicTypes.has(t) || t === "object" || t === "array"))
            throw invalid(param, at, `must be one of "string", "number", "integer", "boolean", "null", "object", "array" (got ${JSON.stringify(t)})`);
    return Array.isArray(value) ? (list as string[]) : (value as string);
}

const isScalar = (v: unknown): boolean => v === null || ["string", "number", "boolean"].includes(typeof v);

function invalid(param: string, at: string, what: string): ApiError {
    return ApiError.badRequest(`'${param}${at}' ${what}.`, param);
}

function unsatisfiable(param: string, at: string, what: string): ApiError {
    return new ApiError(400, "invalid_request_error", `'${param}${at}': no JSON value can match this schema (${what}).`, "unsatisfiable_schema", param);
}

function refused(param: string, at: string, what: string): ApiError {
    return new ApiError(400, "invalid_request_error", `'${param}${at}': ${what} is not supported in structured output here.`, "unsupported_schema", param);
}
