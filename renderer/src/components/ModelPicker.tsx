import {useEffect, useId, useRef, useState} from "react";
import type {ModelFile, ModelStatus} from "../../../shared/admin.js";
import {formatBytes, formatPercent} from "../lib/format.js";
import {selectContextSize, selectModelName, useConnection} from "../stores/useConnection.js";
import {contextFit, pickerModels, selectCanLoad, useModels} from "../stores/useModels.js";
import {selectMayAdmin, useSignedIn} from "../stores/useSignedIn.js";
import {useReturnFocus} from "./useReturnFocus.js";
import {CopyButton} from "./CopyButton.js";

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
    const mayAdmin = useSignedIn(selectMayAdmin);
    const listed = useModels((s) => s.models.length > 0) && mayAdmin;
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

/** The option's words for one model file: what it is, its trained context, and why it cannot be served. */
function optionText(m: ModelFile, running: number | undefined): string {
    let text = `${m.id} · ${formatBytes(m.sizeBytes)}`;
    if (m.problem !== null && !m.current) return `${text} · cannot be served: ${m.problem}`;
    if (m.architecture) text += ` · ${m.architecture}`;
    if (m.contextLength) text += ` · trained ${m.contextLength} ctx`;
    // The served model runs with the server's context, which may differ from the one it was trained with.
    if (m.current) text += running === undefined ? " (current)" : ` · runs ${running} (current)`;
    return text;
}

/**
 * Where models go, a way to read the folder again, and the served model's context: what a user looking for
 * "add a model" needs, behind one small button so the header stays one line in a phone's width.
 */
function ModelsInfo({models, running}: {models: ModelFile[]; running: number | undefined}) {
    const modelsDir = useModels((s) => s.modelsDir);
    const refreshing = useModels((s) => s.refreshing);
    const [open, setOpen] = useState(false);
    const toggle = useReturnFocus<HTMLButtonElement>(open);
    const panel = useRef<HTMLDivElement>(null);
    const panelId = useId();
    const current = models.find((m) => m.current);
    const fit = contextFit(current, running);
    const servable = models.filter((m) => m.problem === null || m.current).length;

    useEffect(() => {
        if (!open) return;
        // A click or a tap elsewhere, or Esc, closes it: it is a popover, not a page of its own.
        const onPointer = (event: PointerEvent): void => {
            const target = event.target as Node | null;
            if (target !== null && (panel.current?.contains(target) || toggle.current?.contains(target))) return;
            setOpen(false);
        };
        const onKey = (event: KeyboardEvent): void => {
            if (event.key !== "Escape" || event.defaultPrevented) return;
            // Esc here is this popover's, not the chat settings' (which close on Esc too).
            event.preventDefault();
            setOpen(false);
            toggle.current?.focus();
        };
        document.addEventListener("pointerdown", onPointer);
        // Capture: before the chat settings' own Esc listener, which leaves a prevented Esc alone.
        document.addEventListener("keydown", onKey, true);
        return () => {
            document.removeEventListener("pointerdown", onPointer);
            document.removeEventListener("keydown", onKey, true);
        };
    }, [open, toggle]);

    const label = fit?.longer ? "Models folder and details (the context is longer than the model was trained for)" : "Models folder and details";
    return (
        <>
            <button
                ref={toggle}
                type="button"
                className={`icon-button model-info-toggle${open ? " active" : ""}${fit?.longer ? " warn" : ""}`}
                data-testid="models-info-toggle"
                aria-expanded={open}
                aria-controls={open ? panelId : undefined}
                aria-label={label}
                title="Add models, refresh the list, context"
                onClick={() => {
                    // Opening is looking for models: the list is read again (a file just copied in shows).
                    if (!open) useModels.getState().refreshStale();
                    setOpen(!open);
                }}
            >
                <span aria-hidden="true">+</span>
                <span className="model-info-label"> Models</span>
                {fit?.longer ? (
                    <span className="model-info-mark" aria-hidden="true">
                        !
                    </span>
                ) : null}
            </button>
            {open ? (
                <div ref={panel} id={panelId} className="model-info" role="group" aria-label="Models folder and details" data-testid="models-info">
                    <p className="model-info-head">Models folder</p>
                    <div className="model-folder">
                        <code data-testid="models-dir" title={modelsDir ?? undefined}>
                            {modelsDir ?? "Unknown"}
                        </code>
                        {modelsDir !== null ? <CopyButton text={modelsDir} testId="models-dir-copy" className="button small" /> : null}
                    </div>
                    <p className="small">Copy .gguf files here (a folder on the computer that runs KVShare).</p>
                    <div className="model-info-row">
                        <button
                            type="button"
                            className="button small"
                            data-testid="models-refresh"
                            disabled={refreshing}
                            onClick={() => void useModels.getState().refresh()}
                        >
                            {refreshing ? "Refreshing…" : "Refresh"}
                        </button>
                        <span className="muted small" data-testid="models-count">
                            {servable === 1 ? "1 model" : `${servable} models`}
                            {models.length > servable ? `, ${models.length - servable} cannot be served` : ""}
                        </span>
                    </div>
                    {fit !== null && current !== undefined ? (
                        <>
                            <p className="small" data-testid="model-context">
                                {current.id} runs with {fit.running} tokens of context per sequence; it was trained with {fit.trained}.
                            </p>
                            {fit.longer ? (
                                <p className="small model-context-hint" data-testid="model-context-hint">
                                    That is longer than it was trained for: past {fit.trained} tokens its answers may degrade. Set Context per sequence to{" "}
                                    {fit.trained} or less in Admin settings.
                                </p>
                            ) : null}
                        </>
                    ) : null}
                </div>
            ) : null}
        </>
    );
}

/**
 * The header's model switcher: the models folder's GGUF files (those that cannot be served listed as such),
 * "Load", the load progress and errors, and a popover with the models folder and a refresh. The header shows
 * the errors on a line of their own below it (`withProblem` false, and ModelLoadProblem there).
 */
export function ModelPicker({withProblem = true}: {withProblem?: boolean}) {
    const connection = useConnection((s) => s.status);
    const running = useConnection(selectContextSize);
    const models = pickerModels(useModels((s) => s.models));
    const selected = useModels((s) => s.selected);
    const status = useModels((s) => s.status);
    const failed = useModels((s) => s.error !== null);
    const canLoad = useModels(selectCanLoad);
    // The models folder and switching are the app's own key's: any other key is shown the served model's name
    // (GET /v1/models, which any key may read), and the app's routes are not asked.
    const mayAdmin = useSignedIn(selectMayAdmin);
    const reachable = (connection === "ok" || connection === "loading") && mayAdmin;

    useEffect(() => {
        if (reachable) void useModels.getState().refresh();
    }, [reachable]);

    // Back in the window (after copying a file into the models folder, say), the list is read again.
    useEffect(() => {
        if (!reachable) return;
        const onFocus = (): void => useModels.getState().refreshStale();
        const onVisible = (): void => {
            if (document.visibilityState === "visible") onFocus();
        };
        window.addEventListener("focus", onFocus);
        document.addEventListener("visibilitychange", onVisible);
        return () => {
            window.removeEventListener("focus", onFocus);
            document.removeEventListener("visibilitychange", onVisible);
        };
    }, [reachable]);

    if (models.length === 0 || !mayAdmin) return <ModelName />;
    const loading = status?.status === "loading";
    return (
        <div className="model-picker" data-testid="model-picker">
            <select
                aria-label="Model"
                data-testid="model-select"
                value={selected ?? ""}
                disabled={loading}
                aria-invalid={failed}
                onFocus={() => useModels.getState().refreshStale()}
                onChange={(e) => useModels.getState().select(e.target.value)}
            >
                {models.map((m) => (
                    <option key={m.path} value={m.path} title={m.problem ?? m.path} disabled={m.problem !== null && !m.current}>
                        {optionText(m, running)}
                    </option>
                ))}
            </select>
            <button
                type="button"
                // Nothing to load (the model picked is the one served): narrow windows leave it out. Not while one
                // loads: the button pressed keeps its place, and the focus.
                className={`icon-button model-load${!canLoad && !loading ? " nothing-to-load" : ""}`}
                data-testid="model-load"
                disabled={!canLoad}
                onClick={() => void useModels.getState().load()}
                title="Unload the current model and load the selected one"
                aria-label="Load the selected model"
            >
                Load
            </button>
            <ModelsInfo models={models} running={running} />
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
