import {useEffect, useRef, useState} from "react";
import type {AdminRuntimeSettings, ModelStatus} from "../../../shared/admin.js";
import {gpuBackends, gpuFallbacks, type GpuFallback} from "../../../shared/llamaBackend.js";
import type {RuntimeSettings as RuntimeValues} from "../../../shared/settings.js";
import {counted, formatPercent} from "../lib/format.js";
import {
    backendNames,
    gpuChoiceNote,
    gpuOption,
    runtimeLabels,
    runtimeValueText,
    waitsForReload,
    type GpuChoice,
    type RuntimeDraft
} from "../lib/runtimeForm.js";
import {useAdminSettings} from "../stores/useAdminSettings.js";
import {useModels} from "../stores/useModels.js";
import {Field} from "./Field.js";

const fallbackLabels: Record<GpuFallback, string> = {
    "stock-gpu": "Its stock build (exact prefix reuse only)",
    "patched-cpu": "KV sharing on the CPU (GPU idle)"
};

interface Props {
    runtime: AdminRuntimeSettings;
    draft: RuntimeDraft;
    onChange: (draft: RuntimeDraft) => void;
    /** Unsaved edits anywhere in the form: a reload applies only what is saved. */
    unsaved: boolean;
    /** Saved settings waiting for the model's next load (dotted names: these values, and others such as the embedder). */
    pending: readonly string[];
}

/**
 * What a field's hint adds about its value: what the model serving now runs with, when that differs, and a
 * start-up flag that set it for this run over settings.json.
 */
function valueNotes(runtime: AdminRuntimeSettings, key: keyof RuntimeValues): string {
    const notes: string[] = [];
    if (runtime.loaded != null && runtime.loaded[key] !== runtime[key]) notes.push(`the model in use has ${runtimeValueText(key, runtime.loaded[key])}`);
    if (runtime.flagOverrides.includes(key))
        notes.push(
            `set by a start-up flag for this run${runtime.saved == null ? "" : ` (settings.json: ${runtimeValueText(key, runtime.saved[key])})`}; saving a value here replaces it`
        );
    return notes.length === 0 ? "" : ` · ${notes.join("; ")}`;
}

/** What to do after a reload failed: the values saved do not fit (memory, most often), the earlier ones did. */
function reloadFailureAdvice(stillServing: boolean): string {
    return stillServing
        ? "The model keeps serving with the earlier settings: change the values back (each field's hint says what it runs with), or to ones this machine can hold, save, and reload again."
        : "No model is serving now: change the values back, or to ones this machine can hold, save, and reload again.";
}

/** Reads the settings again once a model load ends (here or in the model picker): the model serving now changed. */
function useSettingsAfterLoad(status: ModelStatus | null): void {
    const was = useRef(status?.status);
    useEffect(() => {
        if (was.current === "loading" && status?.status !== "loading") void useAdminSettings.getState().refresh();
        was.current = status?.status;
    }, [status?.status]);
}

/**
 * The settings panel's model runtime section: threads, sequences, context, GPU; applied by loading the model again
 * ("Reload model now", offered for every saved setting that waits for it, the embedder too).
 */
export function RuntimeSettings({runtime, draft, onChange, unsaved, pending}: Props) {
    const status = useModels((s) => s.status);
    const modelsError = useModels((s) => s.error);
    const [reloadAsked, setReloadAsked] = useState(false);
    useSettingsAfterLoad(status);
    useEffect(() => {
        if (useModels.getState().status == null) void useModels.getState().refresh();
    }, []);

    const set = <K extends keyof RuntimeDraft>(key: K, value: RuntimeDraft[K]) => onChange({...draft, [key]: value});
    const text = (key: "threads" | "parallel" | "contextSize", testId: string) => (
        <input type="text" inputMode="numeric" data-testid={testId} value={draft[key]} onChange={(e) => set(key, e.target.value)} />
    );
    const typedThreads = Number(draft.threads);
    const threadsHint =
        `This machine has ${runtime.cores} logical cores; more threads than cores slows generation under load` +
        (typedThreads > runtime.cores ? ` (${typedThreads} is more)` : "") +
        valueNotes(runtime, "threads");
    const gpuNote = gpuChoiceNote(draft.gpu, runtime.gpuBackends);
    const gpuHint = `Auto uses the GPU found${gpuNote === "" ? "" : ` · ${gpuNote}`}${valueNotes(runtime, "gpu")}`;
    const loading = status?.status === "loading";
    const reload = async (): Promise<void> => {
        const path = useModels.getState().status?.modelPath;
        if (path == null) return;
        setReloadAsked(true);
        await useModels.getState().load(path);
    };

    return (
        <section className="admin-section" data-testid="runtime-settings">
            <h2>Model runtime</h2>
            <p className="muted small">How llama.cpp runs the model. A saved change takes effect when the model is next loaded.</p>
            <div className="admin-grid">
                <Field label={runtimeLabels.threads} hint={threadsHint}>
                    {text("threads", "setting-threads")}
                </Field>
                <Field
                    label={runtimeLabels.parallel}
                    hint={`Requests answered at the same time, each in a sequence of its own${valueNotes(runtime, "parallel")}`}
                >
                    {text("parallel", "setting-parallel")}
                </Field>
                <Field
                    label={`${runtimeLabels.contextSize} (tokens)`}
                    hint={`Prompt and answer of one request; "auto" sizes it from the memory free${valueNotes(runtime, "contextSize")}`}
                >
                    {text("contextSize", "setting-context")}
                </Field>
                <Field label={runtimeLabels.gpu} hint={gpuHint}>
                    <select data-testid="setting-gpu" value={draft.gpu} onChange={(e) => set("gpu", e.target.value as GpuChoice)}>
                        <option value="auto">Auto</option>
                        <option value="cpu">CPU only</option>
                        {gpuBackends.map((backend) => {
                            const option = gpuOption(backend, runtime.gpuBackends);
                            // The value in force stays choosable, so the select never shows a blank.
                            return (
                                <option key={backend} value={backend} disabled={option.unavailable && draft.gpu !== backend}>
                                    {option.label}
                                </option>
                            );
                        })}
                    </select>
                </Field>
                <Field label={runtimeLabels.gpuFallback} hint={`A GPU found without a KVShare-patched build runs with…${valueNotes(runtime, "gpuFallback")}`}>
                    <select data-testid="setting-gpu-fallback" value={draft.gpuFallback} onChange={(e) => set("gpuFallback", e.target.value as GpuFallback)}>
                        {gpuFallbacks.map((fallback) => (
                            <option key={fallback} value={fallback}>
                                {fallbackLabels[fallback]}
                            </option>
                        ))}
                    </select>
                </Field>
            </div>
            {loading ? (
                <p className="model-progress" data-testid="runtime-loading">
                    Loading {status.modelId ?? "the model"}…{" "}
                    <progress data-testid="runtime-progress" max={1} value={status.progress} aria-label="Model load progress" />
                    <span className="small">{formatPercent(status.progress)}</span>
                </p>
            ) : runtime.loaded == null ? (
                <p className="muted small" data-testid="runtime-status">
                    No model is loaded: the next one loaded uses these values.
                </p>
            ) : pending.length > 0 ? (
                <div className="warning" role="status" data-testid="runtime-status">
                    <p className="saved pending">Saved · {waitsForReload(pending)}.</p>
                    <div className="row">
                        <button
                            type="button"
                            className="button"
                            data-testid="runtime-reload"
                            disabled={unsaved || status?.modelPath == null}
                            onClick={() => void reload()}
                        >
                            Reload model now
                        </button>
                        <span className="field-hint">
                            {unsaved
                                ? "Save or reset the other changes first"
                                : "The model is loaded again beside the one serving, which finishes its requests first"}
                        </span>
                    </div>
                </div>
            ) : (
                <p className="muted small" data-testid="runtime-status">
                    The model in use runs with these values: {counted(runtime.loaded.parallel, "sequence")} × {runtime.loaded.contextTokens} tokens,{" "}
                    {counted(runtime.loaded.threads, "thread")}, on {runtime.loaded.backend === "cpu" ? "the CPU" : backendNames[runtime.loaded.backend]}.
                </p>
            )}
            {reloadAsked && !loading && modelsError != null ? (
                <p className="form-error" role="alert" data-testid="runtime-reload-error">
                    {/* Advice for a load that failed (the values did not fit), not for a reload refused before it started. */}
                    The reload failed: {modelsError}
                    {status?.error == null ? null : ` ${reloadFailureAdvice(status.status === "ok")}`}
                </p>
            ) : null}
        </section>
    );
}
