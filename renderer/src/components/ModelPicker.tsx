import {useEffect} from "react";
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

/** The header's model switcher: the models folder's GGUF files, "Load", the load progress and errors. */
export function ModelPicker() {
    const connection = useConnection((s) => s.status);
    const models = pickerModels(useModels((s) => s.models));
    const selected = useModels((s) => s.selected);
    const status = useModels((s) => s.status);
    const error = useModels((s) => s.error);
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
            >
                Load
            </button>
            {loading ? (
                <span className="model-progress" data-testid="model-loading" title={`Loading ${status.modelId ?? "model"}…`}>
                    <progress data-testid="model-progress" max={1} value={status.progress} aria-label="Model load progress" />
                    <span className="small">{formatPercent(status.progress)}</span>
                </span>
            ) : null}
            {error ? (
                <span className="model-error small" role="alert" data-testid="model-error" title={error}>
                    {error}
                </span>
            ) : null}
        </div>
    );
}
