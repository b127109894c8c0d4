import {useConnection} from "../stores/useConnection.js";
import {useModels} from "../stores/useModels.js";

/**
 * Why nothing can be asked now, while the server is known not to answer (the health check failed), or null.
 * A request sent then would only fail: Send, Regenerate, Continue, "Answer it" and an edit's "Save & send" wait,
 * saying why, and the health check (every few seconds) gives them back as soon as the server answers again.
 */
export function useUnavailableReason(): string | null {
    const down = useConnection((s) => s.status === "error");
    const noModel = useModels((s) => s.status?.status === "error");
    if (!down) return null;
    return noModel
        ? "No model is loaded, so nothing can be answered — your text is kept. Load a model (above) to send it."
        : "The server is not reachable — your text is kept. Send comes back as soon as the server answers again.";
}
