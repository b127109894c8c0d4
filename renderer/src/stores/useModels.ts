import {create} from "zustand";
import type {ModelFile, ModelStatus} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage, isUnauthorized} from "../backend/errors.js";
import {useConnection} from "./useConnection.js";

/** How often the load progress is read while a model loads. */
export const MODEL_POLL_MS = 250;

interface ModelsState {
    /** The models folder's GGUF files plus the loaded model. */
    models: ModelFile[];
    modelsDir: string | null;
    /** The model slot as the server last reported it. */
    status: ModelStatus | null;
    /** The path chosen in the picker (defaults to the current model). */
    selected: string | null;
    /** Why listing or switching failed, or why the model failed to load. */
    error: string | null;
    /** True while a load is being followed (progress polled). */
    watching: boolean;
    /** Poll interval while loading (tests set 0). */
    pollMs: number;
    /** Reads the list and the model status; follows a load already in progress. */
    refresh: () => Promise<void>;
    select: (path: string) => void;
    /** Asks the server to switch to the selected model (or `path`), then follows the load to its end. */
    load: (path?: string) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Why the last load failed: with nothing serving ("error"), or while the model loaded before goes on serving
 * ("ok" with an error: a switch or a reload with new settings that did not fit), which must not pass unsaid.
 */
function statusError(status: ModelStatus): string | null {
    if (status.status === "error") return status.error ?? "The model failed to load";
    return status.status === "ok" ? status.error : null;
}

export const useModels = create<ModelsState>()((set, get) => {
    /** Polls the model status until the load ends, then re-reads the list and the connection. */
    const follow = async (): Promise<void> => {
        if (get().watching) return;
        set({watching: true});
        try {
            for (;;) {
                await sleep(get().pollMs);
                const status = await getBackend().admin("modelStatus", {});
                set({status, error: statusError(status)});
                if (status.status !== "loading") break;
            }
        } catch (error) {
            if (isUnauthorized(error)) useConnection.getState().requireKey(errorMessage(error));
            set({error: errorMessage(error)});
        } finally {
            set({watching: false});
        }
        await get().refresh();
        await useConnection.getState().refresh();
    };

    return {
        models: [],
        modelsDir: null,
        status: null,
        selected: null,
        error: null,
        watching: false,
        pollMs: MODEL_POLL_MS,
        refresh: async () => {
            try {
                const list = await getBackend().admin("listModels", {});
                const selected = get().selected;
                const keep = selected !== null && list.models.some((m) => m.path === selected);
                set({
                    models: list.models,
                    modelsDir: list.modelsDir,
                    status: list.status,
                    selected: keep ? selected : (list.status.modelPath ?? list.models[0]?.path ?? null),
                    error: statusError(list.status)
                });
                if (list.status.status === "loading") void follow();
            } catch (error) {
                set({error: errorMessage(error)});
            }
        },
        select: (path) => set({selected: path}),
        load: async (path) => {
            const target = path ?? get().selected;
            if (target === null || get().status?.status === "loading") return;
            try {
                const status = await getBackend().admin("loadModel", {path: target});
                set({status, selected: target, error: null});
            } catch (error) {
                set({error: errorMessage(error)});
                return;
            }
            await follow();
        }
    };
});

/** The model the picker's "Load" would replace: true when the selection differs from it. */
export function selectCanLoad(state: Pick<ModelsState, "selected" | "status" | "watching">): boolean {
    if (state.selected === null || state.watching || state.status?.status === "loading") return false;
    return state.selected !== state.status?.modelPath || state.status.status === "error";
}

/**
 * The picker's list: the loaded model living outside the models folder and its copy (or link) in the folder
 * are one model, listed once, as the current one.
 */
export function pickerModels(models: readonly ModelFile[]): ModelFile[] {
    const current = models.find((m) => m.current);
    if (current === undefined) return [...models];
    return models.filter((m) => m === current || m.id !== current.id || m.sizeBytes !== current.sizeBytes);
}
