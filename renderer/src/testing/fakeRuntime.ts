/**
 * The runtime settings of FakeAdmin (./fakeAdmin.ts): the server's checks of a change and their messages
 * (main/config/validateSettings.ts), what a saved change, a model load and start-up flags do to them
 * (main/admin/runtimeSettingsView.ts). Held to the real server by test/api/fakeAdminContract.test.ts.
 */
import type {AdminRuntimeSettings, LoadedRuntimeSettings} from "../../../shared/admin.js";
import {gpuBackends, gpuFallbacks} from "../../../shared/llamaBackend.js";
import {runtimeRanges, runtimeSettingNames, type RuntimeSettings} from "../../../shared/settings.js";
import {ApiError} from "../backend/errors.js";

/** What settings.json gives on a machine of 8 cores that has none: the defaults. */
const fileValues: RuntimeSettings = {threads: 8, parallel: 4, contextSize: 2048, gpu: "auto", gpuFallback: "stock-gpu"};

/** Started without flags, the model loaded with the file's values, on the CPU. */
export const fakeRuntime: AdminRuntimeSettings = {
    ...fileValues,
    loaded: {...fileValues, contextTokens: 2048, backend: "cpu"},
    saved: {...fileValues},
    flagOverrides: [],
    cores: 8,
    // A Linux machine with a Vulkan driver, no patched Vulkan build, no CUDA toolkit.
    gpuBackends: [
        {backend: "cuda", found: false, patched: false},
        {backend: "vulkan", found: true, patched: false},
        {backend: "metal", found: false, patched: false}
    ]
};

function refused(message: string): ApiError {
    return new ApiError(message, 400, "invalid_request_error", "invalid_setting");
}

const isRuntimeName = (key: string): key is keyof RuntimeSettings => (runtimeSettingNames as readonly string[]).includes(key);

const counts = {threads: "llama.cpp CPU threads", parallel: "sequences served at once", contextSize: 'tokens per sequence, or "auto"'} as const;

function wholeNumber(key: keyof typeof counts, value: unknown): number {
    const name = `runtime.${key}`;
    const [min, max] = runtimeRanges[key];
    if (typeof value !== "number" || !Number.isFinite(value)) throw refused(`${name} must be a number (${counts[key]}).`);
    if (!Number.isInteger(value)) throw refused(`${name} must be a whole number (${counts[key]}).`);
    if (value < min || value > max) throw refused(`${name} must be between ${min} and ${max} (${counts[key]}); got ${value}.`);
    return value;
}

function check(key: keyof RuntimeSettings, value: unknown): unknown {
    if (key === "threads" || key === "parallel") return wholeNumber(key, value);
    if (key === "contextSize") return value === "auto" ? value : wholeNumber(key, value);
    if (key === "gpu") {
        if (value === false || value === "auto" || (gpuBackends as readonly unknown[]).includes(value)) return value;
        throw refused(`runtime.gpu must be one of ${["auto", ...gpuBackends].map((a) => `"${a}"`).join(", ")}, or false (CPU only).`);
    }
    if (!(gpuFallbacks as readonly unknown[]).includes(value))
        throw refused(`runtime.gpuFallback must be one of ${gpuFallbacks.map((a) => `"${a}"`).join(", ")}.`);
    return value;
}

/** Like the server's check of a settings change's `runtime` (and of runtime names sent at its top level). */
export function checkRuntimeChange(change: Record<string, unknown>, cores = Infinity): Partial<RuntimeSettings> {
    for (const key of Object.keys(change)) if (isRuntimeName(key)) throw refused(`'${key}' is changed as 'runtime.${key}' ({"runtime": {"${key}": …}}).`);
    const runtime = change.runtime;
    if (runtime === undefined) return {};
    if (typeof runtime !== "object" || runtime === null || Array.isArray(runtime)) throw refused("runtime must be an object.");
    const checked: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(runtime)) {
        if (!isRuntimeName(key)) throw refused(`Unknown runtime setting '${key}' (only ${runtimeSettingNames.join(", ")}).`);
        checked[key] = check(key, value);
    }
    if (typeof checked.threads === "number" && checked.threads > cores)
        throw refused(
            `runtime.threads must be at most ${cores}, this machine's logical cores; got ${checked.threads}. More threads than cores slows generation down.`
        );
    return checked as Partial<RuntimeSettings>;
}

function valuesOf(runtime: RuntimeSettings): RuntimeSettings {
    const {threads, parallel, contextSize, gpu, gpuFallback} = runtime;
    return {threads, parallel, contextSize, gpu, gpuFallback};
}

/** Live values over the file's: where they differ, a start-up flag set them (as the server tells). */
function withValues(runtime: AdminRuntimeSettings, next: RuntimeSettings, saved: RuntimeSettings): AdminRuntimeSettings {
    return {...runtime, ...next, saved, flagOverrides: runtimeSettingNames.filter((name) => next[name] !== saved[name])};
}

/** A change saved: live and in the file; the model serving keeps what it was loaded with. */
export function runtimeChanged(runtime: AdminRuntimeSettings, change: Partial<RuntimeSettings>): AdminRuntimeSettings {
    return withValues(runtime, {...valuesOf(runtime), ...change}, {...(runtime.saved ?? valuesOf(runtime)), ...change});
}

/** What a model load that read the live values comes to ("auto" left as the previous load resolved it). */
function loadedWith(next: RuntimeSettings, previous: LoadedRuntimeSettings | null): LoadedRuntimeSettings {
    return {
        ...next,
        contextTokens: next.contextSize === "auto" ? (previous?.contextTokens ?? 2048) : next.contextSize,
        backend: next.gpu === false ? "cpu" : next.gpu === "auto" ? (previous?.backend ?? "cpu") : next.gpu
    };
}

/** The model loaded again: it runs with the live values now. */
export function runtimeLoaded(runtime: AdminRuntimeSettings): AdminRuntimeSettings {
    return {...runtime, loaded: loadedWith(valuesOf(runtime), runtime.loaded)};
}

/** As a server started with these flags over the file shows them (`serve --threads 1 --cpu`), the model loaded with them. */
export function runtimeStartedWith(runtime: AdminRuntimeSettings, flags: Partial<RuntimeSettings>): AdminRuntimeSettings {
    const saved = runtime.saved ?? valuesOf(runtime);
    return runtimeLoaded(withValues(runtime, {...saved, ...flags}, saved));
}
