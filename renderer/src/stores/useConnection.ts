import {create} from "zustand";
import type {HealthResponse, ModelObject} from "../../../shared/openai.js";
import {consumeKeyFromLocation, loadApiKey, saveApiKey} from "../backend/apiKey.js";
import {getBackend} from "../backend/current.js";
import {errorMessage, isUnauthorized} from "../backend/errors.js";

export type ConnectionStatus = "checking" | "ok" | "loading" | "error" | "unauthorized";

interface ConnectionState {
    apiKey: string | null;
    status: ConnectionStatus;
    health: HealthResponse | null;
    models: ModelObject[];
    /** Why the server is not usable, when it is not. */
    error: string | null;
    /** Reads a key from the URL fragment or storage; call once at start-up. */
    init: () => void;
    /** Checks /health and /v1/models. */
    refresh: () => Promise<void>;
    setApiKey: (key: string) => Promise<void>;
    /** Called when any request got 401: shows the API key screen. */
    requireKey: (message?: string) => void;
}

export const useConnection = create<ConnectionState>()((set, get) => ({
    apiKey: null,
    status: "checking",
    health: null,
    models: [],
    error: null,
    init: () => {
        const fromUrl = typeof window === "undefined" ? null : consumeKeyFromLocation();
        set({apiKey: fromUrl ?? loadApiKey()});
    },
    refresh: async () => {
        const backend = getBackend();
        try {
            const health = await backend.health();
            const models = await backend.listModels();
            const status: ConnectionStatus = health.status === "ok" ? "ok" : health.status === "loading" ? "loading" : "error";
            set({health, models, status, error: status === "error" ? "The server reports an error" : null});
        } catch (error) {
            if (isUnauthorized(error)) get().requireKey(errorMessage(error));
            else set({status: "error", error: errorMessage(error)});
        }
    },
    setApiKey: async (key) => {
        saveApiKey(key);
        set({apiKey: key.trim(), status: "checking", error: null});
        await get().refresh();
    },
    requireKey: (message) => {
        set({status: "unauthorized", error: message ?? "An API key is required"});
    }
}));

/** The name shown in the header: the first model the server lists, else the one /health names. */
export function selectModelName(state: Pick<ConnectionState, "models" | "health">): string | null {
    return state.models[0]?.id ?? state.health?.model ?? null;
}

/** The served model's context (tokens per sequence), when the server says. */
export function selectContextSize(state: Pick<ConnectionState, "models">): number | undefined {
    return state.models[0]?.meta?.context_size;
}
