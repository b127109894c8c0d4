import {create} from "zustand";
import type {ApiKeyInfo, CreatedApiKey} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage} from "../backend/errors.js";

interface ApiKeysState {
    keys: ApiKeyInfo[];
    /** The key just issued: its plain text is shown this once (the server keeps only a hash). */
    created: CreatedApiKey | null;
    /** Why the last load, creation or revocation failed (the server's message, e.g. a reserved name). */
    error: string | null;
    busy: boolean;
    load: () => Promise<void>;
    /** Issues a key for an app or a person; resolves to success. */
    create: (name: string, group?: string) => Promise<boolean>;
    /** `purge`: also delete the cached prompts of the key's own scope. */
    revoke: (id: string, purge?: boolean) => Promise<boolean>;
    /** Forgets the plain key shown after creation (it cannot be fetched again). */
    dismissCreated: () => void;
}

/** The API keys issued to apps and people (settings panel). */
export const useApiKeys = create<ApiKeysState>()((set, get) => ({
    keys: [],
    created: null,
    error: null,
    busy: false,
    load: async () => {
        try {
            set({keys: await getBackend().admin("listKeys", {}), error: null});
        } catch (error) {
            set({error: errorMessage(error)});
        }
    },
    create: async (name, group) => {
        set({busy: true});
        try {
            const trimmedGroup = group?.trim();
            const created = await getBackend().admin("createKey", {name: name.trim(), ...(trimmedGroup ? {group: trimmedGroup} : {})});
            set({created, keys: [...get().keys.filter((k) => k.id !== created.entry.id), created.entry], error: null, busy: false});
            return true;
        } catch (error) {
            set({error: errorMessage(error), busy: false});
            return false;
        }
    },
    revoke: async (id, purge = false) => {
        set({busy: true});
        try {
            const keys = await getBackend().admin("revokeKey", purge ? {id, purge} : {id});
            const created = get().created;
            set({keys, error: null, busy: false, created: created?.entry.id === id ? null : created});
            return true;
        } catch (error) {
            set({error: errorMessage(error), busy: false});
            return false;
        }
    },
    dismissCreated: () => set({created: null})
}));
