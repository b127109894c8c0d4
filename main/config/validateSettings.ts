import net from "node:net";
import {recomputePolicies, runtimeRanges, runtimeSettingNames, type RuntimeSettings, type ScopeOverride, type SharingSettings} from "../../shared/settings.js";
import {gpuBackends, gpuFallbacks} from "../../shared/llamaBackend.js";
import {isReservedName, namePattern} from "../../shared/names.js";

/** A settings change that was refused; `param` is the dotted setting name. */
export class SettingsValidationError extends Error {
    public constructor(
        message: string,
        public readonly param: string
    ) {
        super(message);
        this.name = "SettingsValidationError";
    }
}

/** What an admin may change while the app runs, validated. */
export interface ValidatedSettingsPatch {
    sharing?: Partial<SharingSettings>;
    api?: {enabled?: boolean; host?: string; port?: number; corsOrigins?: string[]; allowedHosts?: string[]};
    /** Saved now, used from the next model load. */
    runtime?: Partial<RuntimeSettings>;
}

/** Largest snapshot budget accepted: 1 TiB. */
const maxBudgetBytes = 1024 ** 4;

export function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value != null && !Array.isArray(value);
}

export function number(value: unknown, name: string, min: number, max: number, integer: boolean, what: string): number {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new SettingsValidationError(`${name} must be a number (${what}).`, name);
    if (integer && !Number.isInteger(value)) throw new SettingsValidationError(`${name} must be a whole number (${what}).`, name);
    if (value < min || value > max) throw new SettingsValidationError(`${name} must be between ${min} and ${max} (${what}); got ${value}.`, name);
    return value;
}

export function boolean(value: unknown, name: string): boolean {
    if (typeof value !== "boolean") throw new SettingsValidationError(`${name} must be true or false.`, name);
    return value;
}

export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
        throw new SettingsValidationError(`${name} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}.`, name);
    return value as T;
}

/** Each runtime setting's check: the settings file's, the panel's and (for the ranges) the command line's. */
const runtimeChecks: {[K in keyof RuntimeSettings]: (value: unknown, name: string) => RuntimeSettings[K]} = {
    threads: (value, name) => number(value, name, ...runtimeRanges.threads, true, "llama.cpp CPU threads"),
    parallel: (value, name) => number(value, name, ...runtimeRanges.parallel, true, "sequences served at once"),
    contextSize: (value, name) => (value === "auto" ? value : number(value, name, ...runtimeRanges.contextSize, true, 'tokens per sequence, or "auto"')),
    gpu: (value, name) => {
        if (value === false || value === "auto" || (gpuBackends as readonly unknown[]).includes(value)) return value as RuntimeSettings["gpu"];
        throw new SettingsValidationError(`${name} must be one of ${["auto", ...gpuBackends].map((a) => `"${a}"`).join(", ")}, or false (CPU only).`, name);
    },
    gpuFallback: (value, name) => oneOf(value, name, gpuFallbacks)
};

/** Checks one runtime setting; `name` is how a refusal names it (`threads` in the file, `runtime.threads` in a change). */
export function runtimeSetting<K extends keyof RuntimeSettings>(key: K, value: unknown, name: string): RuntimeSettings[K] {
    return runtimeChecks[key](value, name);
}

function isRuntimeSettingName(key: string): key is keyof RuntimeSettings {
    return (runtimeSettingNames as readonly string[]).includes(key);
}

const userOrGroupName = namePattern();

function groups(value: unknown, name: string): Record<string, string> {
    if (!isObject(value)) throw new SettingsValidationError(`${name} must be an object mapping a user name to a group name.`, name);
    const out: Record<string, string> = {};
    for (const [user, group] of Object.entries(value)) {
        if (!userOrGroupName.test(user.trim()) || user.trim() !== user)
            throw new SettingsValidationError(`${name}: user names are 1 to 64 characters without control or invisible characters or outer spaces.`, name);
        if (typeof group !== "string" || !userOrGroupName.test(group.trim()) || group.trim() !== group)
            throw new SettingsValidationError(
                `${name}: the group of '${user}' must be 1 to 64 characters without control or invisible characters or outer spaces.`,
                name
            );
        if (isReservedName(user) || isReservedName(group))
            throw new SettingsValidationError(`${name}: '${isReservedName(user) ? user : group}' is a reserved name.`, name);
        out[user] = group;
    }
    return out;
}

function origins(value: unknown, name: string): string[] {
    if (!Array.isArray(value)) throw new SettingsValidationError(`${name} must be a list of origins such as "http://localhost:3000".`, name);
    return value.map((origin) => {
        if (origin === "*") return origin;
        if (typeof origin !== "string") throw new SettingsValidationError(`${name} must hold strings.`, name);
        let url: URL;
        try {
            url = new URL(origin);
        } catch {
            throw new SettingsValidationError(`${name}: '${origin}' is not an origin (scheme://host[:port]).`, name);
        }
        if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin)
            throw new SettingsValidationError(`${name}: '${origin}' is not an origin (http(s)://host[:port], no path).`, name);
        return origin;
    });
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens. */
const hostnamePattern = /^(?=.{1,253}$)[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*$/i;

/** The address to listen on: an IPv4 or IPv6 address, or a host name (no scheme, port or brackets). */
function host(value: unknown, name: string): string {
    if (typeof value !== "string" || (net.isIP(value) === 0 && !hostnamePattern.test(value)))
        throw new SettingsValidationError(`${name} must be an IP address (such as 127.0.0.1, 0.0.0.0 or ::1) or a host name, without scheme or port.`, name);
    return value;
}

/** At most 32 host names or addresses. */
function hostList(value: unknown, name: string): string[] {
    if (!Array.isArray(value) || value.length > 32) throw new SettingsValidationError(`${name} must be a list of at most 32 host names or addresses.`, name);
    return [...new Set(value.map((entry) => host(entry, name)))];
}

/**
 * Validates a live settings change (the admin panel's PATCH): only known fields, each in range.
 * Throws {@link SettingsValidationError} with a message meant for the admin.
 */
export function validateSettingsPatch(input: unknown): ValidatedSettingsPatch {
    if (!isObject(input)) throw new SettingsValidationError("The settings change must be a JSON object.", "settings");
    const out: ValidatedSettingsPatch = {};
    for (const key of Object.keys(input)) {
        if (key === "sharing" || key === "api" || key === "runtime") continue;
        // The settings file holds them at the top level; a change names them in their group, as the panel reads them.
        if (isRuntimeSettingName(key)) throw new SettingsValidationError(`'${key}' is changed as 'runtime.${key}' ({"runtime": {"${key}": …}}).`, key);
        throw new SettingsValidationError(`'${key}' cannot be changed while the app runs (only 'sharing', 'api' and 'runtime').`, key);
    }

    if (input.sharing !== undefined) {
        const sharing = input.sharing;
        if (!isObject(sharing)) throw new SettingsValidationError("sharing must be an object.", "sharing");
        const patch: Partial<SharingSettings> = {};
        for (const [key, value] of Object.entries(sharing)) {
            const name = `sharing.${key}`;
            switch (key as keyof SharingSettings) {
                case "enabled":
                    patch.enabled = boolean(value, name);
                    break;
                case "prefixReuse":
                    patch.prefixReuse = boolean(value, name);
                    break;
                case "similarityThreshold":
                    patch.similarityThreshold = number(value, name, 0, 1, false, "a cosine similarity");
                    break;
                case "topK":
                    patch.topK = number(value, name, 1, 256, true, "donor candidates fetched");
                    break;
                case "minRunLength":
                    patch.minRunLength = number(value, name, 1, 4096, true, "tokens");
                    break;
                case "recomputeBudget":
                    patch.recomputeBudget = number(value, name, 0, 1, false, "a share of the kept tokens");
                    break;
                case "recomputePolicy":
                    patch.recomputePolicy = oneOf(value, name, recomputePolicies);
                    break;
                case "minGainTokens":
                    patch.minGainTokens = number(value, name, 0, 1_000_000, true, "tokens");
                    break;
                case "costGate":
                    patch.costGate = boolean(value, name);
                    break;
                case "embedder":
                    patch.embedder = oneOf(value, name, ["lexical", "model"] as const);
                    break;
                case "scopePolicy":
                    patch.scopePolicy = oneOf(value, name, ["global", "group", "user"] as const);
                    break;
                case "groups":
                    patch.groups = groups(value, name);
                    break;
                case "maxSnapshotBytes":
                    patch.maxSnapshotBytes = number(value, name, 0, maxBudgetBytes, true, "bytes");
                    break;
                case "maxMemoryBytes":
                    patch.maxMemoryBytes = number(value, name, 0, maxBudgetBytes, true, "bytes");
                    break;
                case "sharedPrefixes":
                    patch.sharedPrefixes = sharedPrefixes(value, name);
                    break;
                case "scopeOverrides":
                    patch.scopeOverrides = scopeOverrides(value, name);
                    break;
                case "historyDays":
                    patch.historyDays = number(value, name, 1, 3650, true, "days of request history kept");
                    break;
                case "monitorShare":
                    patch.monitorShare =
                        value === null ? null : number(value, name, 0, 1, false, "a share of shared-KV requests, or null for the app's default");
                    break;
                default:
                    throw new SettingsValidationError(`Unknown sharing setting '${key}'.`, name);
            }
        }
        out.sharing = patch;
    }

    if (input.api !== undefined) {
        const api = input.api;
        if (!isObject(api)) throw new SettingsValidationError("api must be an object.", "api");
        const patch: NonNullable<ValidatedSettingsPatch["api"]> = {};
        for (const [key, value] of Object.entries(api)) {
            const name = `api.${key}`;
            switch (key) {
                case "enabled":
                    patch.enabled = boolean(value, name);
                    break;
                case "host":
                    patch.host = host(value, name);
                    break;
                case "port":
                    patch.port = number(value, name, 0, 65_535, true, "a TCP port; 0 picks a free one");
                    break;
                case "corsOrigins":
                    patch.corsOrigins = origins(value, name);
                    break;
                case "allowedHosts":
                    patch.allowedHosts = hostList(value, name);
                    break;
                default:
                    throw new SettingsValidationError(`${name} cannot be changed while the app runs; change it in settings.json and restart.`, name);
            }
        }
        out.api = patch;
    }

    if (input.runtime !== undefined) {
        const runtime = input.runtime;
        if (!isObject(runtime)) throw new SettingsValidationError("runtime must be an object.", "runtime");
        const patch: Partial<Record<keyof RuntimeSettings, unknown>> = {};
        for (const [key, value] of Object.entries(runtime)) {
            const name = `runtime.${key}`;
            if (!isRuntimeSettingName(key))
                throw new SettingsValidationError(`Unknown runtime setting '${key}' (only ${runtimeSettingNames.join(", ")}).`, name);
            patch[key] = runtimeSetting(key, value, name);
        }
        out.runtime = patch as Partial<RuntimeSettings>;
    }
    return out;
}

/** At most this many scopes carry their own threshold or budget. */
const maxScopeOverrides = 256;

/** Scope → its own threshold and/or budget; an empty override is dropped (the scope follows the globals). */
function scopeOverrides(value: unknown, name: string): Record<string, ScopeOverride> {
    if (!isObject(value) || Object.keys(value).length > maxScopeOverrides)
        throw new SettingsValidationError(
            `${name} must be an object mapping at most ${maxScopeOverrides} scopes (global, group:NAME, user:NAME) to {similarityThreshold?, recomputeBudget?}.`,
            name
        );
    const out: Record<string, ScopeOverride> = {};
    for (const [scope, override] of Object.entries(value)) {
        const where = `${name}.${scope}`;
        if (!/^(global|(group|user):[^\u0000-\u001f]{1,120})$/.test(scope))
            throw new SettingsValidationError(`${name}: '${scope.slice(0, 80)}' is not a scope (global, group:NAME or user:NAME).`, where);
        if (!isObject(override)) throw new SettingsValidationError(`${where} must be an object with similarityThreshold and/or recomputeBudget.`, where);
        const entry: ScopeOverride = {};
        for (const [key, field] of Object.entries(override)) {
            if (field === null || field === undefined) continue;
            if (key === "similarityThreshold") entry.similarityThreshold = number(field, `${where}.${key}`, 0, 1, false, "a cosine similarity");
            else if (key === "recomputeBudget") entry.recomputeBudget = number(field, `${where}.${key}`, 0, 1, false, "a share of the kept tokens");
            else throw new SettingsValidationError(`${where}: only similarityThreshold and recomputeBudget can be set per scope.`, `${where}.${key}`);
        }
        if (Object.keys(entry).length > 0) out[scope] = entry;
    }
    return out;
}

/** Admin-marked shared prefixes: at most 32 non-empty texts of at most 20,000 characters. */
function sharedPrefixes(value: unknown, name: string): string[] {
    if (!Array.isArray(value) || value.length > 32 || !value.every((text) => typeof text === "string" && text.trim() !== "" && text.length <= 20_000))
        throw new SettingsValidationError(`${name} must be a list of at most 32 non-empty texts of at most 20,000 characters.`, name);
    return [...new Set(value as string[])];
}
