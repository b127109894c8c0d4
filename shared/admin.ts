/**
 * The app/admin API: settings, cache dashboard, conversations and profiles. One table of operations
 * shared by the server (HTTP routes under `/kvshare/…` and the Electron IPC channel, both calling the
 * same service functions in main/admin) and the renderer's two backends.
 */
import type {ChatParams, KvShareRecord} from "./openai.js";
import type {Backend, GpuBackendSupport} from "./llamaBackend.js";
import type {ApiSettings, RecomputePolicy, RuntimeSettings, SharingSettings} from "./settings.js";
import type {CacheStats, WhatIfCurves} from "./adminStats.js";

// The dashboard's types live with their kind; importers of the admin API find them here too.
export type {CacheStats, PrefillSpeed, QualityAgreement, QualitySummary, StatsBucket, TopDonor, TtftSummary, WhatIfCurves} from "./adminStats.js";

/** The sharing knobs an admin can change. */
export type AdminSharingSettings = SharingSettings;

/** What the settings panel shows. */
export interface AdminSettings {
    sharing: AdminSharingSettings;
    api: ApiSettings & {
        /** The key with all but its last 4 characters masked. */
        keyHint: string;
        /** Where the API server actually listens (port 0 resolved), e.g. http://127.0.0.1:8080; null while it is off. */
        url: string | null;
        /**
         * True in headless `serve` mode: the API server also serves this page, so it cannot be turned off
         * from the panel, and a new port or host moves the page too (to `url`).
         */
        servesUi: boolean;
        /** What settings.json holds for the address (the next start without flags); null when the file cannot be read. */
        saved: {host: string; port: number} | null;
        /** Address settings a start-up flag (`serve --port 9000`) set for this run over settings.json; a change from the panel replaces the flag's value. */
        flagOverrides: Array<"host" | "port">;
    };
    /** How the model runs (absent from a server that does not report it). */
    runtime?: AdminRuntimeSettings;
    /** Dotted setting names that are shown but cannot be changed from the panel (they need a restart). */
    readOnly: string[];
    /** Dotted setting names whose new value is saved but used only after the model is loaded again. */
    restartRequired: string[];
}

/** What the model serving now was loaded with, and what those settings came to. */
export interface LoadedRuntimeSettings extends RuntimeSettings {
    /** Tokens per sequence the context has ("auto" resolved). */
    contextTokens: number;
    /** The llama.cpp backend loaded ("auto" resolved; "cpu" when no GPU is used). */
    backend: Backend;
}

/**
 * The runtime settings: the values the next model load uses (the live settings), with those the model
 * serving now was loaded with. The two differ after a change, until the model is loaded again.
 */
export interface AdminRuntimeSettings extends RuntimeSettings {
    /** Null while no model serves. */
    loaded: LoadedRuntimeSettings | null;
    /** What settings.json holds (defaults filled in): the values of the next start without flags; null when the file cannot be read. */
    saved: RuntimeSettings | null;
    /** Settings a start-up flag (`serve --threads 1`) sets for this run over settings.json; a change from the panel replaces the flag's value. */
    flagOverrides: Array<keyof RuntimeSettings>;
    /** This machine's logical CPU cores (hardware threads). */
    cores: number;
    /** What this machine offers of each GPU backend (found here, patched build installed); null until its drivers have been looked for. */
    gpuBackends: GpuBackendSupport[] | null;
}

/**
 * What PATCH /kvshare/settings accepts: any subset of the sharing knobs, the CORS allowlist, the API
 * server's on/off, host and port (the server moves at once; a busy port is a 409 and nothing changes), and
 * the runtime settings.
 */
export interface AdminSettingsPatch {
    sharing?: Partial<AdminSharingSettings>;
    api?: {enabled?: boolean; host?: string; port?: number; corsOrigins?: string[]; allowedHosts?: string[]};
    /** Saved at once (settings.json's top-level fields of the same names), used from the next model load. */
    runtime?: Partial<RuntimeSettings>;
    /**
     * The groups a change of `sharing.groups` was made over (as last read). With it, only the lines the change
     * adds, regroups or removes are applied, over the groups as they are now, so a line changed meanwhile (a
     * profile's group) is kept; a line changed both ways is a 409 (`groups_changed`). Without it the groups are
     * replaced whole.
     */
    baseGroups?: Record<string, string>;
}

/** An API key issued to an app or a person, as listed (never its hash). */
export interface ApiKeyInfo {
    id: string;
    /** Who uses it: its requests run as this identity (`user:key/NAME`). */
    name: string;
    group?: string;
    /** The key's first characters, to tell keys apart. */
    hint: string;
    /** ISO time. */
    createdAt: string;
}

/** A newly issued key: `key` is shown this once and never stored (only its hash is). */
export interface CreatedApiKey {
    key: string;
    entry: ApiKeyInfo;
}

/** Per-answer stats as the renderer keeps them (opaque to the server beyond being JSON). */
export type StoredStats = Record<string, unknown>;

export interface StoredMessageRecord {
    id: string;
    role: "user" | "assistant";
    content: string;
    createdAt: number;
    stats?: StoredStats;
    /** The answer's hit record (x_kvshare), pieces included when the request asked for them. */
    hit?: KvShareRecord;
    error?: string;
    /**
     * The other versions of the chat from this message on (an edited question, a regenerated answer), each
     * a whole continuation; only on messages shown, never on the first message of a kept version.
     */
    alternatives?: StoredMessageRecord[][];
    /** Where the version shown sits among all of them (0..alternatives.length; alternatives.length if absent). */
    alternativeIndex?: number;
}

export interface ConversationRecord {
    id: string;
    title: string;
    /** The profile that asks in this chat (sent as the request's `user`). */
    profile: string;
    systemPrompt: string;
    params: ChatParams;
    createdAt: number;
    updatedAt: number;
    /** Kept at the top of the chat list, whatever its age (absent: not pinned). */
    pinned?: boolean;
    messages: StoredMessageRecord[];
    /**
     * Ids of messages deleted from the chat, in any of its versions (absent: none): a copy that still holds one is
     * saved without it, so a copy read before a deletion does not bring the message back.
     */
    deletedMessageIds?: string[];
}

/**
 * What a chat keeps besides its messages that its user sets: two windows' saves of one chat are merged field by
 * field (each sampling parameter a field of its own), see shared/conversationSettings.ts.
 */
export type ConversationSettings = Pick<ConversationRecord, "title" | "systemPrompt" | "params" | "pinned">;

/** What saving a chat did: saved (as `updatedAt`), or not, because of the stored copy in `conflict`. */
export interface SaveConversationResult {
    id: string;
    updatedAt: number;
    conflict?: ConversationRecord;
    /**
     * The settings saved, where they are not the save's own: another window changed some since the save's
     * `baseSettings`, and those changes were kept.
     */
    settings?: ConversationSettings;
    /**
     * Every message deleted from the chat, where the stored chat has deletions the save did not send (another
     * window deleted them): the copy saved is without them, and the saving window takes them out too.
     */
    deletedMessageIds?: string[];
}

export interface Profile {
    name: string;
    group?: string;
}

/** A GGUF file the model picker offers. */
export interface ModelFile {
    /** Absolute path; what `loadModel` takes. */
    path: string;
    /** The file name without `.gguf` (the id the API serves it as). */
    id: string;
    sizeBytes: number;
    /** The models folder, the model loaded now, or one served earlier since the app started (from elsewhere). */
    source: "models-folder" | "loaded" | "served";
    /** True for the model being served (or being loaded). */
    current: boolean;
    /** From the GGUF header when it could be read; null otherwise. */
    architecture: string | null;
    /** The context length the model was trained with (GGUF header), or null. */
    contextLength: number | null;
    /**
     * Why the file cannot be served, as `loadModel` would refuse it (not a GGUF file, a header that cannot be
     * right, no weights, cut short), or null when it looks servable.
     */
    problem: string | null;
}

/** The model slot: what is loaded or loading, how far, and why it failed. */
export interface ModelStatus {
    status: "loading" | "ok" | "error";
    /** Load progress 0..1 (1 once loaded). */
    progress: number;
    /** The id of the model loaded or loading, null before any. */
    modelId: string | null;
    modelPath: string | null;
    /** Why the last load failed (status "error"), else null. */
    error: string | null;
}

export interface ModelList {
    /**
     * The data folder's models folder, where the picker looks for `.gguf` files (a path on the server's
     * machine); the listing creates it when it is missing, so there is a folder to copy models into.
     */
    modelsDir: string;
    models: ModelFile[];
    status: ModelStatus;
}

/** A cached prompt as the admin's list shows it: its text cut to a preview. */
export interface CachedPrompt {
    id: number;
    scope: string;
    /** Who sent it (a profile, an issued key's `key/<id>`); absent when unknown (cached before senders were kept). */
    sender?: string;
    /** The first characters of its text. */
    preview: string;
    /** Characters of its whole text. */
    characters: number;
    tokens: number;
    /** Its KV snapshot's size. */
    bytes: number;
    createdAt: number;
    lastUsedAt: number;
    hits: number;
    /** Cached for the model loaded now (entries of other models wait for theirs). */
    currentModel: boolean;
}

/**
 * A page of cached prompts, newest cached first, of a listing: the prompts that matched when its first page was
 * fetched (see shared/cachedPromptsListing.ts). Paged by its cursors, no prompt of it repeats or goes missing,
 * whatever is cached, used or deleted meanwhile.
 */
export interface CachedPromptPage {
    /** The listing's prompts, those deleted since left out. */
    total: number;
    /** Where this page starts among them (0: the first page). */
    start: number;
    entries: CachedPrompt[];
    /** The `cursor` of the next page (older prompts); null on the last page. */
    nextCursor: string | null;
    /** The `cursor` of the page before; null on the first page. */
    previousCursor: string | null;
    /** Matching prompts cached since the listing began: not in its pages, first in a new listing (without a cursor). */
    newer: number;
}

/** Every admin operation: its input and output. */
export interface AdminOps {
    getSettings: {input: Record<string, never>; output: AdminSettings};
    /** `evicted`: the cached prompts a smaller snapshot budget removed at once (none removed: absent). */
    patchSettings: {input: AdminSettingsPatch; output: AdminSettings & {evicted?: {removedEntries: number; freedBytes: number}}};
    cacheStats: {input: {bucketMs?: number; since?: number; scope?: string}; output: CacheStats};
    /**
     * What-if curves for the settings panel, from the logged requests (of `scope` when set); the budget
     * curve of `recomputePolicy` (default: the policy in effect).
     */
    whatIf: {input: {scope?: string; recomputePolicy?: RecomputePolicy}; output: WhatIfCurves};
    clearCache: {input: Record<string, never>; output: {removedEntries: number; freedBytes: number}};
    /**
     * Cached prompts (of `scope`, holding `text` whatever its case), a page at a time: where one confidential prompt
     * is found. `cursor`: a page's `nextCursor` or `previousCursor`, sent with the same `scope` and `text`; none, a
     * new listing's first page. `offset` (not with a cursor) skips entries by position.
     */
    listCachedPrompts: {input: {scope?: string; text?: string; cursor?: string; offset?: number; limit?: number}; output: CachedPromptPage};
    /** Deletes one cached prompt (its text, its KV), as thoroughly as clearing the cache. */
    deleteCachedPrompt: {input: {id: string}; output: {deleted: boolean}};
    /**
     * Chats with their messages, newest last message first (`lastActiveAt`), a page (`CONVERSATION_PAGE`) at a time: `before`, the cursor of the
     * last chat of the page before (`conversationCursor`); `text`, only chats whose title or messages hold its words.
     */
    /** `pinned`: the pinned chats only, of any age (a page of the newest may not reach them). */
    listConversations: {input: {profile?: string; before?: string; text?: string; pinned?: boolean}; output: ConversationRecord[]};
    /**
     * Saves a chat unless another window changed it since `baseUpdatedAt` (the stored version this copy
     * grew from) in a way this copy does not extend: then nothing is saved and `conflict` is the stored copy.
     * Saved over a later version, only the settings changed since `baseSettings` (that version's) are this
     * copy's; the others stay as stored, and come back as `settings`. Without `baseSettings`, all are this copy's.
     */
    saveConversation: {input: ConversationRecord & {baseUpdatedAt?: number; baseSettings?: ConversationSettings}; output: SaveConversationResult};
    deleteConversation: {input: {id: string}; output: {deleted: boolean}};
    listProfiles: {input: Record<string, never>; output: Profile[]};
    saveProfile: {input: Profile; output: Profile[]};
    deleteProfile: {input: {name: string}; output: Profile[]};
    /** The GGUF files in the models folder plus the loaded model, with sizes and header facts. */
    listModels: {input: Record<string, never>; output: ModelList};
    /** Switches model: validates the path, then loads in the background (poll `modelStatus`). */
    loadModel: {input: {path: string}; output: ModelStatus};
    modelStatus: {input: Record<string, never>; output: ModelStatus};
    /** The keys issued to apps and people (id, name, group, hint, creation time). */
    listKeys: {input: Record<string, never>; output: ApiKeyInfo[]};
    /** Issues a key; the plain key is in this response only. */
    createKey: {input: {name: string; group?: string}; output: CreatedApiKey};
    /** Revokes an issued key at once; returns the keys left. */
    revokeKey: {input: {id: string; purge?: boolean}; output: ApiKeyInfo[]};
}

export type AdminOp = keyof AdminOps;
export type AdminInput<K extends AdminOp> = AdminOps[K]["input"];
export type AdminOutput<K extends AdminOp> = AdminOps[K]["output"];

/**
 * How each operation is reached over HTTP. A path ending in "/" takes the operation's key (`id` or
 * `name`) as its last segment; GET inputs travel as query parameters, the others as a JSON body
 * (a POST without input sends none).
 */
export const adminHttpRoutes: {readonly [K in AdminOp]: {method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"; path: string; key?: "id" | "name"}} = {
    getSettings: {method: "GET", path: "/kvshare/settings"},
    patchSettings: {method: "PATCH", path: "/kvshare/settings"},
    cacheStats: {method: "GET", path: "/kvshare/cache/stats"},
    whatIf: {method: "GET", path: "/kvshare/whatif"},
    clearCache: {method: "POST", path: "/kvshare/cache/clear"},
    listCachedPrompts: {method: "GET", path: "/kvshare/cache/entries"},
    deleteCachedPrompt: {method: "DELETE", path: "/kvshare/cache/entries/", key: "id"},
    listConversations: {method: "GET", path: "/kvshare/conversations"},
    saveConversation: {method: "PUT", path: "/kvshare/conversations/", key: "id"},
    deleteConversation: {method: "DELETE", path: "/kvshare/conversations/", key: "id"},
    listProfiles: {method: "GET", path: "/kvshare/profiles"},
    saveProfile: {method: "PUT", path: "/kvshare/profiles/", key: "name"},
    deleteProfile: {method: "DELETE", path: "/kvshare/profiles/", key: "name"},
    listModels: {method: "GET", path: "/kvshare/models"},
    loadModel: {method: "PUT", path: "/kvshare/model"},
    modelStatus: {method: "GET", path: "/kvshare/model"},
    listKeys: {method: "GET", path: "/kvshare/keys"},
    createKey: {method: "POST", path: "/kvshare/keys"},
    revokeKey: {method: "DELETE", path: "/kvshare/keys/", key: "id"}
};

export const adminOps = Object.keys(adminHttpRoutes) as AdminOp[];

export function isAdminOp(value: unknown): value is AdminOp {
    return typeof value === "string" && Object.prototype.hasOwnProperty.call(adminHttpRoutes, value);
}

/** `GET /kvshare/whoami`: who a key signs in as (any key may ask), so the page shows what that key may do. */
export interface SignedIn {
    /** The app's own key: every chat, the dashboard and the settings. Otherwise an issued key: chat only, its own scope. */
    app: boolean;
    /** The issued key's name (a person, a class); "admin" for the app's key. */
    name: string;
    /** The issued key's group, whose members share KV with each other; null for none. */
    group: string | null;
    /** Whether the server asks for a key at all: without one (`--no-auth`, the Electron window) there is nobody to sign out. */
    keyRequired: boolean;
}
