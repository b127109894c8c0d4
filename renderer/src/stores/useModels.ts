import {create} from "zustand";
import type {ModelFile, ModelStatus} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage, isUnauthorized} from "../backend/errors.js";
import {useConnection} from "./useConnection.js";

/** How often the load progress is read while a model loads. */
export const MODEL_POLL_MS = 250;

/**
 * The list is read again when the picker or the window gets the focus (a file copied into the models folder
 * shows without a reload), but at most this often: focus that comes and goes reads the folder once.
 */
export const MODEL_REFRESH_THROTTLE_MS = 3000;

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
    /**
     * Why the server refused the last load (a file that cannot be served, a path gone): it stays shown while
     * the list is read again (on focus), until the next load.
     */
    refused: string | null;
    /** When the list was last asked for (`Date.now()`), 0 before: what `refreshStale` throttles by. */
    refreshedAt: number;
    /** True while the list is being read. */
    refreshing: boolean;
    /** True while a load is being followed (progress polled). */
    watching: boolean;
    /** Poll interval while loading (tests set 0). */
    pollMs: number;
    /** Reads the list and the model status; follows a load already in progress. */
    refresh: () => Promise<void>;
    /**
     * Reads the list again unless it is being read or was asked for within {@link MODEL_REFRESH_THROTTLE_MS}:
     * for the picker's and the window's focus, which come often.
     */
    refreshStale: () => void;
    select: (path: string) => void;
    /** Asks the server to switch to the selected model (or `path`), then follows the load to its end. */
    load: (path?: string) => Promise<void>;
}

/** The store's data before anything is read (tests reset to it). */
export const noModelsYet = {
    models: [],
    modelsDir: null,
    status: null,
    selected: null,
    error: null,
    refused: null,
    refreshedAt: 0,
    refreshing: false,
    watching: false,
    pollMs: MODEL_POLL_MS
} satisfies Partial<ModelsState>;

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
        ...noModelsYet,
        refresh: async () => {
            set({refreshedAt: Date.now(), refreshing: true});
            try {
                const list = await getBackend().admin("listModels", {});
                const selected = get().selected;
                // A choice that became unservable (the file replaced by a broken one) is not kept: Load would refuse it.
                const keep = selected !== null && list.models.some((m) => m.path === selected && (m.problem === null || m.current));
                const servable = list.models.find((m) => m.problem === null);
                set({
                    models: list.models,
                    modelsDir: list.modelsDir,
                    status: list.status,
                    selected: keep ? selected : (list.status.modelPath ?? servable?.path ?? null),
                    error: statusError(list.status) ?? get().refused
                });
                if (list.status.status === "loading") void follow();
            } catch (error) {
                set({error: errorMessage(error)});
            } finally {
                set({refreshing: false});
            }
        },
        refreshStale: () => {
            const {refreshing, refreshedAt} = get();
            if (refreshing || Date.now() - refreshedAt < MODEL_REFRESH_THROTTLE_MS) return;
            void get().refresh();
        },
        select: (path) => set({selected: path}),
        load: async (path) => {
            const target = path ?? get().selected;
            if (target === null || get().status?.status === "loading") return;
            set({refused: null});
            try {
                const status = await getBackend().admin("loadModel", {path: target});
                set({status, selected: target, error: null});
            } catch (error) {
                set({error: errorMessage(error), refused: errorMessage(error)});
                return;
            }
            await follow();
        }
    };
});

/**
 * The model the picker's "Load" would replace: true when the selection differs from it and is a file the
 * server can serve (as far as the list knows).
 */
export function selectCanLoad(state: Pick<ModelsState, "models" | "selected" | "status" | "watching">): boolean {
    if (state.selected === null || state.watching || state.status?.status === "loading") return false;
    if (state.models.some((m) => m.path === state.selected && m.problem !== null && !m.current)) return false;
    return state.selected !== state.status?.modelPath || state.status.status === "error";
}

/**
 * The picker's list: the loaded model living outside the models folder and its copy (or link) in the folder
 * are one model, listed once, as the current one. Files that cannot be served come last, after every model
 * there is to choose.
 */
export function pickerModels(models: readonly ModelFile[]): ModelFile[] {
    const current = models.find((m) => m.current);
    const listed = current === undefined ? [...models] : models.filter((m) => m === current || m.id !== current.id || m.sizeBytes !== current.sizeBytes);
    const unservable = (m: ModelFile) => m.problem !== null && !m.current;
    return [...listed.filter((m) => !unservable(m)), ...listed.filter(unservable)];
}

/**
 * What to say about the served model's context: the context the server runs it with (tokens per sequence)
 * beside the one it was trained with, and whether the first is longer, where positions past the trained
 * length make most models ramble. Null while either is unknown.
 */
export function contextFit(
    model: Pick<ModelFile, "contextLength"> | undefined,
    running: number | undefined
): {trained: number; running: number; longer: boolean} | null {
    const trained = model?.contextLength ?? null;
    if (trained === null || running === undefined) return null;
    return {trained, running, longer: running > trained};
}
