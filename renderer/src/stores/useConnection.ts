import {create} from "zustand";
import type {HealthResponse, ModelObject} from "../../../shared/openai.js";
import {LINK_KEY_REPLACED, checkApiKey, consumeKeyFromLocation, loadApiKey, saveApiKey, type KeyOffer} from "../backend/apiKey.js";
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
    /** Said once about the key of a `#key=` link (refused, the saved key kept; or taken over the saved one), until dismissed. */
    keyNotice: string | null;
    dismissKeyNotice: () => void;
    /** A `#key=` link's key, offered while another key is signed in here: taken only once the person says so. */
    keyOffer: KeyOffer | null;
    /** Signs in with the offered key (what was kept for the key before is forgotten here). */
    acceptKeyOffer: () => Promise<void>;
    /** Stays signed in with the key before; the link's key is dropped. */
    declineKeyOffer: () => void;
    /**
     * Reads a key from the URL fragment or storage: at start-up, and when a `#key=` link is pasted into the tab. A link's key that differs from the
     * stored one is checked with the server first (the stored key stays meanwhile, and `refresh` waits for the
     * outcome); resolves once the key is settled.
     */
    init: (keepsChats?: () => boolean) => Promise<void>;
    /** Checks /health and /v1/models. */
    refresh: () => Promise<void>;
    setApiKey: (key: string) => Promise<void>;
    /** Called when any request got 401: shows the API key screen. */
    requireKey: (message?: string) => void;
    /** The key was forgotten (signed out, here or in another tab): the key screen shows, with nothing to blame. */
    signedOut: () => void;
}

/** Settles once the key a `#key=` link brought is checked and taken (or not): requests wait for it. */
let keySettled: Promise<void> = Promise.resolve();

export const useConnection = create<ConnectionState>()((set, get) => ({
    apiKey: null,
    status: "checking",
    health: null,
    models: [],
    error: null,
    keyNotice: null,
    dismissKeyNotice: () => set({keyNotice: null}),
    keyOffer: null,
    acceptKeyOffer: async () => {
        const offer = get().keyOffer;
        if (offer === null) return;
        set({keyOffer: null, keyNotice: LINK_KEY_REPLACED});
        await get().setApiKey(offer.key);
    },
    declineKeyOffer: () => set({keyOffer: null}),
    init: (keepsChats) => {
        set({apiKey: loadApiKey()});
        if (typeof window === "undefined") return keySettled;
        // A link's key with no (or the same) key stored is stored before this returns; another waits for the server.
        const fromUrl = consumeKeyFromLocation(window.location, window.history, localStorage, checkApiKey, keepsChats);
        set({apiKey: loadApiKey()});
        keySettled = fromUrl.then(
            ({key, notice, offer}) =>
                set({apiKey: key ?? loadApiKey(), ...(notice === null ? {} : {keyNotice: notice}), ...(offer === undefined ? {} : {keyOffer: offer})}),
            // The address bar could not be rewritten: whatever key is stored is used, as without a link.
            () => set({apiKey: loadApiKey()})
        );
        return keySettled;
    },
    refresh: async () => {
        await keySettled;
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
        // A link's key offered for the key before is no longer the question (another tab signed in, the key screen).
        set({apiKey: key.trim(), status: "checking", error: null, keyOffer: null});
        await get().refresh();
    },
    requireKey: (message) => {
        set({status: "unauthorized", error: message ?? "An API key is required"});
    },
    signedOut: () => {
        set({apiKey: null, status: "unauthorized", error: null, keyNotice: null, keyOffer: null});
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
