import type {AdminRuntimeSettings} from "../../../shared/admin.js";
import type {GpuBackend, GpuBackendSupport, GpuFallback, GpuSetting} from "../../../shared/llamaBackend.js";
import {runtimeSettingNames, type RuntimeSettings} from "../../../shared/settings.js";
import {parseDecimal} from "./decimal.js";

/** The panel's names of the runtime settings. */
export const runtimeLabels: Readonly<Record<keyof RuntimeSettings, string>> = {
    threads: "CPU threads",
    parallel: "Sequences at once",
    contextSize: "Context per sequence",
    gpu: "GPU",
    gpuFallback: "GPU without a KVShare build"
};

/** The same names inside a sentence ("… take effect when the model is next loaded"). */
export const runtimeNamesInSentence: Readonly<Record<keyof RuntimeSettings, string>> = {
    threads: "CPU threads",
    parallel: "sequences at once",
    contextSize: "context per sequence",
    gpu: "the GPU",
    gpuFallback: "the GPU fallback"
};

/** Names listed in a sentence: "a", "a and b", "a, b and c". */
export function listedNames(names: readonly string[]): string {
    return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)!}`;
}

/** How the panel names a setting that waits for the model's next load, by its dotted name. */
const reloadNames: Readonly<Record<string, string>> = {
    "sharing.embedder": "the embedder",
    ...Object.fromEntries(Object.entries(runtimeNamesInSentence).map(([key, name]) => [`runtime.${key}`, name]))
};

/** "CPU threads and the embedder take effect when the model is next loaded": what waits for the next load (dotted names). */
export function waitsForReload(pending: readonly string[]): string {
    return `${listedNames(pending.map((name) => reloadNames[name] ?? name))} ${pending.length === 1 ? "takes" : "take"} effect when the model is next loaded`;
}

/** The panel's names of the GPU backends. */
export const backendNames: Readonly<Record<GpuBackend, string>> = {cuda: "CUDA", vulkan: "Vulkan", metal: "Metal"};

/**
 * A GPU backend's entry in the select, by what this machine offers of it (unknown until the server has looked
 * for its drivers): one not found here cannot be chosen — a reload with it runs on the CPU.
 */
export function gpuOption(backend: GpuBackend, supports: readonly GpuBackendSupport[] | null): {label: string; unavailable: boolean} {
    const support = supports?.find((s) => s.backend === backend);
    const name = backendNames[backend];
    if (support == null) return {label: name, unavailable: false};
    if (!support.found) return {label: `${name} (not found on this machine)`, unavailable: true};
    return {label: support.patched ? name : `${name} (no KVShare build)`, unavailable: false};
}

/** What the GPU choice comes to on this machine, for its hint; "" where nothing needs saying. */
export function gpuChoiceNote(choice: GpuChoice, supports: readonly GpuBackendSupport[] | null): string {
    if (supports == null || choice === "cpu") return "";
    if (choice === "auto") {
        const found = supports.filter((s) => s.found);
        if (found.length === 0) return "no GPU driver is found here: the model runs on the CPU";
        const unpatched = found.filter((s) => !s.patched).map((s) => backendNames[s.backend]);
        return unpatched.length === 0 ? "" : `${listedNames(unpatched)} found without a KVShare build: the setting below decides`;
    }
    const support = supports.find((s) => s.backend === choice);
    const name = backendNames[choice];
    if (support == null || !support.found) return `${name} is not found on this machine: a reload runs on the CPU`;
    return support.patched ? "" : `no KVShare build of ${name} here (\`npm run build:native -- --gpu ${choice}\`): the setting below decides`;
}

/** The GPU setting as the panel's select holds it (a select's values are strings: "cpu" is false). */
export type GpuChoice = "auto" | "cpu" | GpuBackend;

/** The runtime fields as typed (strings for numbers, so a bad value reaches the server's validator). */
export interface RuntimeDraft {
    threads: string;
    parallel: string;
    /** Tokens, or "auto". */
    contextSize: string;
    gpu: GpuChoice;
    gpuFallback: GpuFallback;
}

const gpuChoice = (gpu: GpuSetting): GpuChoice => (gpu === false ? "cpu" : gpu);
const gpuSetting = (choice: GpuChoice): GpuSetting => (choice === "cpu" ? false : choice);

export function runtimeDraftFrom(runtime: RuntimeSettings): RuntimeDraft {
    return {
        threads: String(runtime.threads),
        parallel: String(runtime.parallel),
        contextSize: String(runtime.contextSize),
        gpu: gpuChoice(runtime.gpu),
        gpuFallback: runtime.gpuFallback
    };
}

/** The runtime part of a settings change: what differs from the saved values; or an error message for text that is no number. */
export function runtimePatchFrom(runtime: RuntimeSettings, draft: RuntimeDraft): Partial<RuntimeSettings> | string {
    const patch: Partial<RuntimeSettings> = {};
    for (const key of ["threads", "parallel"] as const) {
        const value = parseDecimal(draft[key]);
        if (Number.isNaN(value)) return `${runtimeLabels[key]} must be a number.`;
        if (value !== runtime[key]) patch[key] = value;
    }
    const typed = draft.contextSize.trim().toLowerCase();
    const contextSize = typed === "auto" ? "auto" : parseDecimal(typed);
    if (Number.isNaN(contextSize)) return `${runtimeLabels.contextSize} must be a number of tokens, or "auto".`;
    if (contextSize !== runtime.contextSize) patch.contextSize = contextSize;
    const gpu = gpuSetting(draft.gpu);
    if (gpu !== runtime.gpu) patch.gpu = gpu;
    if (draft.gpuFallback !== runtime.gpuFallback) patch.gpuFallback = draft.gpuFallback;
    return patch;
}

/** The runtime settings saved but not in effect: the model serving now was loaded with other values. */
export function runtimePending(runtime: AdminRuntimeSettings): Array<keyof RuntimeSettings> {
    const loaded = runtime.loaded;
    return loaded == null ? [] : runtimeSettingNames.filter((name) => runtime[name] !== loaded[name]);
}

/** A runtime value as the panel shows it. */
export function runtimeValueText(key: keyof RuntimeSettings, value: RuntimeSettings[keyof RuntimeSettings]): string {
    if (key === "gpu") return value === false ? "CPU only" : String(value);
    return String(value);
}
