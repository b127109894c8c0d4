import {useEffect, useState} from "react";
import type {ModelStatus} from "../../../shared/admin.js";
import {formatBytes, formatPercent} from "../lib/format.js";
import {selectModelName, useConnection} from "../stores/useConnection.js";
import {pickerModels, selectCanLoad, useModels} from "../stores/useModels.js";

/** The served model's name, where there is no list to pick from (the picker shows it otherwise). */
function ModelName() {
    const model = useConnection(selectModelName);
    return (
        <span className="model-name" data-testid="model-name" title="Model served by this KVShare instance">
            {model ?? "No model"}
        </span>
    );
}

/** What to do about a failed load, by what the server says is serving now; null while nothing is known. */
function loadAdvice(status: ModelStatus | null): string | null {
    if (status === null || status.status === "loading") return null;
    if (status.status === "error")
        return "No model is answering now. Choose a model and press Load; if it fails again, choose a smaller one, or lower the sequences or the context in Admin settings.";
    // The load began and failed (memory, most often), the model before it serving on.
    if (status.error !== null)
        return "The model in use goes on answering. To try again, choose a model and press Load: a smaller one, or fewer sequences or a shorter context (Admin settings), where memory is short.";
    // Refused before loading (the file itself): another file is the way on.
    return "The model in use goes on answering. Choose another model file and press Load.";
}

/** The error last dismissed: it stays dismissed when the header is drawn again (another page), a new one shows. */
let dismissedError: string | null = null;

/**
 * Why the last model load (or the model list) failed, in full, and what to do about it: a line of its own,
 * which wraps, so a long message never widens the header. Dismissed until another error comes.
 */
export function ModelLoadProblem() {
    const error = useModels((s) => s.error);
    const status = useModels((s) => s.status);
    // As the picker: where no models are listed (a key that may not list them), there is nothing to load.
    const listed = useModels((s) => s.models.length > 0);
    const [dismissed, setDismissed] = useState(dismissedError);
    // A new load clears the error: the same message again after it is a new failure, and shows.
    useEffect(() => {
        if (error !== null) return;
        dismissedError = null;
        setDismissed(null);
    }, [error]);
    if (error === null || error === dismissed || !listed) return null;
    const advice = loadAdvice(status);
    return (
        <div className="model-problem" role="alert" data-testid="model-load-problem">
            <span className="model-problem-icon" aria-hidden="true">
                ⚠
            </span>
            <p>
                <span data-testid="model-error">{error}</span>
                {advice !== null ? (
                    <>
                        {" "}
                        <span className="model-problem-advice" data-testid="model-error-advice">
                            {advice}
                        </span>
                    </>
                ) : null}
            </p>
            <button
                type="button"
                className="link-button"
                data-testid="model-error-dismiss"
                aria-label="Dismiss the model error"
                onClick={() => {
                    dismissedError = error;
                    setDismissed(error);
                }}
            >
                Dismiss
            </button>
        </div>
    );
}

/**
 * The header's model switcher: the models folder's GGUF files, "Load", the load progress and errors. The
 * header shows the errors on a line of their own below it (`withProblem` false, and ModelLoadProblem there).
 */
export function ModelPicker({withProblem = true}: {withProblem?: boolean}) {
    const connection = useConnection((s) => s.status);
    const models = pickerModels(useModels((s) => s.models));
    const selected = useModels((s) => s.selected);
    const status = useModels((s) => s.status);
    const failed = useModels((s) => s.error !== null);
    const canLoad = useModels(selectCanLoad);
    const reachable = connection === "ok" || connection === "loading";

    useEffect(() => {
        if (reachable) void useModels.getState().refresh();
    }, [reachable]);

    if (models.length === 0) return <ModelName />;
    const loading = status?.status === "loading";
    return (
        <div className="model-picker" data-testid="model-picker">
            <select
                aria-label="Model"
                data-testid="model-select"
                value={selected ?? ""}
                disabled={loading}
                aria-invalid={failed}
                onChange={(e) => useModels.getState().select(e.target.value)}
            >
                {models.map((m) => (
                    <option key={m.path} value={m.path} title={m.path}>
                        {m.id} · {formatBytes(m.sizeBytes)}
                        {m.architecture ? ` · ${m.architecture}` : ""}
                        {m.contextLength ? ` · ${m.contextLength} ctx` : ""}
                        {m.current ? " (current)" : ""}
                    </option>
                ))}
            </select>
            <button
                type="button"
                className="icon-button"
                data-testid="model-load"
                disabled={!canLoad}
                onClick={() => void useModels.getState().load()}
                title="Unload the current model and load the selected one"
                aria-label="Load the selected model"
            >
                Load
            </button>
            {loading ? (
                <span className="model-progress" data-testid="model-loading" title={`Loading ${status.modelId ?? "model"}…`}>
                    <progress data-testid="model-progress" max={1} value={status.progress} aria-label="Model load progress" />
                    <span className="small">{formatPercent(status.progress)}</span>
                </span>
            ) : null}
            {withProblem ? <ModelLoadProblem /> : null}
        </div>
    );
}
