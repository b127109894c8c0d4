import type {
    AdminInput,
    AdminOp,
    AdminOutput,
    AdminSettings,
    ApiKeyInfo,
    CachedPrompt,
    CachedPromptPage,
    CacheStats,
    ConversationRecord,
    ConversationSettings,
    ModelFile,
    ModelStatus,
    Profile
} from "../../../shared/admin.js";
import {mergeSettings, sameSettings, settingsOf} from "../../../shared/conversationSettings.js";
import {CursorError, cursorMaxLength, neighbourCursors, pageWindow, requestedPage} from "../../../shared/cachedPromptsListing.js";
import {byLastActivity, listedAfter, listPlace} from "../../../shared/chatActivity.js";
import {CONVERSATION_PAGE, holdsEveryWord, readConversationCursor, searchWords} from "../../../shared/conversationSearch.js";
import {fieldChecks} from "../../../shared/fieldChecks.js";
import {foldCase} from "../../../shared/foldCase.js";
import {withKeptHits} from "../../../shared/keptHit.js";
import {deletedIdsOf, holdsEveryMessage, withoutMessages} from "../../../shared/messageVersions.js";
import {idPattern, isReservedName, keyNamePattern, profileNamePattern} from "../../../shared/names.js";
import {groupsConflictMessage, mergeGroups} from "../../../shared/groupsMerge.js";
import {defaultSharingSettings, isRecomputePolicy, recomputePolicies} from "../../../shared/settings.js";
import {ApiError} from "../backend/errors.js";
import type {RuntimeSettings} from "../../../shared/settings.js";
import {fakeModels, fakeSettings, fakeStats, fakeWhatIf} from "./fakeAdminData.js";
import {checkRuntimeChange, runtimeChanged, runtimeLoaded, runtimeStartedWith} from "./fakeRuntime.js";

export {fakeModels, fakeSettings, fakeStats, fakeWhatIf} from "./fakeAdminData.js";

/** The server's 400 for bad input (main/admin/validate.ts): type invalid_request_error, code `invalid_request` unless named. */
function invalid(message: string, code = "invalid_request"): ApiError {
    return new ApiError(message, 400, "invalid_request_error", code);
}

/** The server's field checks (shared/fieldChecks.ts), its 400s built as the renderer reads them. */
const {requiredString, optionalString, optionalNumber} = fieldChecks((message) => invalid(message));

/** Like the server's list of cached prompts (main/admin/cachedPromptsService.ts), over `prompts`' previews. */
function listCachedPrompts(prompts: readonly CachedPrompt[], value: Record<string, unknown>): CachedPromptPage {
    const scope = optionalString(value.scope, "scope", 128) || undefined;
    const text = optionalString(value.text, "text", 500) || undefined;
    const filters = {...(scope == null ? {} : {scope}), ...(text == null ? {} : {text})};
    const cursor = optionalString(value.cursor, "cursor", cursorMaxLength) || undefined;
    const offset = optionalNumber(value.offset, "offset", 0, Number.MAX_SAFE_INTEGER);
    let at;
    try {
        at = requestedPage(cursor, offset == null ? undefined : Math.floor(offset), filters);
    } catch (error) {
        throw error instanceof CursorError ? invalid(error.message, "invalid_cursor") : error;
    }
    const limit = Math.floor(optionalNumber(value.limit, "limit", 1, 200) ?? 50);
    const newest = at.newest ?? Math.max(0, ...prompts.map((p) => p.id));
    const folded = text == null ? undefined : foldCase(text);
    const matching = prompts
        .filter((p) => (scope == null || p.scope === scope) && (folded == null || foldCase(p.preview).includes(folded)))
        .sort((a, b) => b.id - a.id);
    const listing = matching.filter((p) => p.id <= newest);
    const window = pageWindow(
        listing.map((p) => p.id),
        at,
        limit
    );
    return {
        total: listing.length,
        start: window.start,
        entries: structuredClone(listing.slice(window.start, window.end)),
        ...neighbourCursors({...window, newest}, filters),
        newer: matching.length - listing.length
    };
}

/**
 * Like the server's message checks (main/admin/conversationMessages.ts), in brief: roles, ids unique across
 * the versions kept, each version a non-empty list; a message keeping versions says which is shown.
 */
function checkMessages(list: unknown, param: string, ids: Set<string>): void {
    if (!Array.isArray(list)) throw invalid(`'${param}' must be a list.`);
    list.forEach((m: {role?: unknown; id?: unknown; alternatives?: unknown; alternativeIndex?: unknown}, i) => {
        if (m.role !== "user" && m.role !== "assistant") throw invalid(`'${param}[${i}].role' must be "user" or "assistant".`);
        const id = requiredString(m.id, `${param}[${i}].id`, 80, idPattern);
        if (ids.has(id)) throw invalid("Message ids must be unique in a conversation.");
        ids.add(id);
        const versions = m.alternatives;
        if (versions === undefined || (Array.isArray(versions) && versions.length === 0)) return;
        const at = `${param}[${i}].alternatives`;
        if (!Array.isArray(versions) || !versions.every((v) => Array.isArray(v) && v.length > 0))
            throw invalid(`'${at}' must be a list of versions, each a non-empty list of messages.`);
        versions.forEach((version: unknown[], v) => checkMessages(version, `${at}[${v}]`, ids));
        m.alternativeIndex ??= versions.length;
    });
}

/** Like the server's (main/admin/settingsService.ts): the same merge, a line changed both ways a 409 naming it. */
function groupsOver(now: Record<string, string>, base: Record<string, string>, wanted: Record<string, string>): Record<string, string> {
    const {groups, conflicts} = mergeGroups(now, base, wanted);
    if (conflicts.length > 0) throw new ApiError(groupsConflictMessage(conflicts), 409, "invalid_request_error", "groups_changed");
    return groups;
}

/**
 * An in-memory stand-in for the server's admin operations; records every call. What it answers, and
 * the status, type, code and message of what it refuses, are held to the real server's by
 * test/api/fakeAdminContract.test.ts.
 */
export class FakeAdmin {
    calls: Array<{op: AdminOp; input: unknown}> = [];
    settings: AdminSettings = structuredClone(fakeSettings);
    conversations = new Map<string, ConversationRecord>();
    /** The profiles' names, in the order added; their groups are `settings.sharing.groups`, as on the server. */
    profiles: string[] = [];
    stats: CacheStats = fakeStats();
    models: ModelFile[] = structuredClone(fakeModels);
    modelStatus: ModelStatus = {status: "ok", progress: 1, modelId: "stories260K", modelPath: "/data/models/stories260K.gguf", error: null};
    keys: ApiKeyInfo[] = [];
    /** The cached prompts the admin's list shows (none until a test puts some). */
    cachedPrompts: CachedPrompt[] = [];
    private nextKey = 1;
    /** Makes the next calls of these operations fail. */
    failing = new Map<AdminOp, Error>();
    /** Ports something else listens on: moving the API there is the server's 409. */
    busyPorts = new Set<number>();

    async run<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>> {
        this.calls.push({op, input: structuredClone(input)});
        const failure = this.failing.get(op);
        if (failure) throw failure;
        return this.answer(op, input) as AdminOutput<K>;
    }

    private answer(op: AdminOp, input: unknown): unknown {
        const value = input as Record<string, unknown>;
        switch (op) {
            case "getSettings":
                return structuredClone(this.settings);
            case "patchSettings": {
                const runtime = checkRuntimeChange(value, this.settings.runtime?.cores);
                const sharing = {...((value.sharing ?? {}) as Record<string, unknown>)};
                for (const key of Object.keys(sharing))
                    if (!Object.hasOwn(defaultSharingSettings, key)) throw invalid(`Unknown sharing setting '${key}'.`, "invalid_setting");
                const threshold = sharing.similarityThreshold;
                if (typeof threshold === "number" && (threshold < 0 || threshold > 1))
                    throw invalid(`sharing.similarityThreshold must be between 0 and 1 (a cosine similarity); got ${threshold}.`, "invalid_setting");
                if ("recomputePolicy" in sharing && !(recomputePolicies as readonly unknown[]).includes(sharing.recomputePolicy))
                    throw invalid(`sharing.recomputePolicy must be one of ${recomputePolicies.map((p) => `"${p}"`).join(", ")}.`, "invalid_setting");
                const base = value.baseGroups;
                if (base != null && (typeof base !== "object" || Array.isArray(base) || !Object.values(base).every((g) => typeof g === "string")))
                    throw invalid("'baseGroups' must be an object mapping a user name to a group name.");
                if (sharing.groups != null && base != null)
                    sharing.groups = groupsOver(this.settings.sharing.groups, base as Record<string, string>, sharing.groups as Record<string, string>);
                const api = (value.api ?? {}) as Partial<AdminSettings["api"]>;
                if (api.enabled === false && this.settings.api.servesUi)
                    throw invalid("In headless mode the API serves this page; stop the server instead (Ctrl+C where `serve` runs).", "invalid_setting");
                const merged = {...this.settings.api, ...api};
                const moved = merged.host !== this.settings.api.host || merged.port !== this.settings.api.port;
                if (merged.enabled && moved && this.busyPorts.has(merged.port))
                    throw new ApiError(
                        `The API server could not listen on ${merged.host}:${merged.port}: port ${merged.port} is already in use on ${merged.host}.`,
                        409,
                        "invalid_request_error",
                        "api_listen_failed"
                    );
                const url = merged.enabled ? `http://${merged.host}:${merged.port}` : null;
                this.settings = {
                    ...this.settings,
                    sharing: {...this.settings.sharing, ...sharing},
                    api: {...merged, url, saved: {host: merged.host, port: merged.port}, flagOverrides: []}
                };
                if (this.settings.runtime != null) this.settings.runtime = runtimeChanged(this.settings.runtime, runtime);
                // A smaller budget removes cached prompts (entries of the average size here) until the rest fits.
                const {entries, bytes} = this.stats.cache;
                const budget = sharing.maxSnapshotBytes;
                if (typeof budget !== "number" || bytes <= budget || entries === 0) return structuredClone(this.settings);
                const removedEntries = Math.min(entries, Math.ceil((bytes - budget) / (bytes / entries)));
                const freedBytes = removedEntries === entries ? bytes : Math.round((removedEntries * bytes) / entries);
                this.stats = {...this.stats, cache: {...this.stats.cache, entries: entries - removedEntries, bytes: bytes - freedBytes}};
                return {...structuredClone(this.settings), evicted: {removedEntries, freedBytes}};
            }
            case "cacheStats": {
                optionalNumber(value.bucketMs, "bucketMs", 1000, 30 * 86_400_000);
                optionalNumber(value.since, "since", 0, Number.MAX_SAFE_INTEGER);
                const scope = typeof value.scope === "string" && value.scope !== "" ? value.scope : null;
                return {...structuredClone(this.stats), scope};
            }
            case "whatIf": {
                const asked = value.recomputePolicy === "" ? undefined : value.recomputePolicy;
                if (asked != null && !isRecomputePolicy(asked)) throw invalid(`'recomputePolicy' must be one of ${recomputePolicies.join(", ")}.`);
                // The fake's curves are of dhd-decode (10 donor requests) and boundary (4: the same curve scaled); none else.
                const curves = fakeWhatIf();
                const inUse = this.settings.sharing.recomputePolicy;
                const policy = asked ?? inUse;
                const share = (curves.budget.policies.find((p) => p.policy === policy)?.donorRequests ?? 0) / curves.budget.donorRequests;
                const budget = {
                    ...curves.budget,
                    policy,
                    reusedTokens: curves.budget.reusedTokens.map((t) => t * share),
                    donorRequests: curves.budget.donorRequests * share,
                    agreement: share === 1 ? curves.budget.agreement : curves.budget.x.map(() => null),
                    checks: share === 1 ? curves.budget.checks : curves.budget.x.map(() => 0)
                };
                const scope = typeof value.scope === "string" && value.scope !== "" ? value.scope : null;
                return {...curves, scope, current: {...curves.current, recomputePolicy: inUse}, budget};
            }
            case "clearCache": {
                const removed = {removedEntries: this.stats.cache.entries, freedBytes: this.stats.cache.bytes};
                this.stats = {...this.stats, cache: {...this.stats.cache, entries: 0, bytes: 0}};
                this.cachedPrompts = [];
                return removed;
            }
            case "listCachedPrompts":
                return listCachedPrompts(this.cachedPrompts, value);
            case "deleteCachedPrompt": {
                const id = Number(requiredString(String(value.id ?? ""), "id", 20, /^\d+$/));
                const found = this.cachedPrompts.find((p) => p.id === id);
                if (found == null) throw new ApiError(`No cached prompt with id ${id}.`, 404, "not_found_error", "not_found");
                if (found.scope === "shared")
                    throw new ApiError(
                        "This cached prompt is a marked shared prefix: unmark it in the settings (shared prefixes) to remove it.",
                        409,
                        "invalid_request_error",
                        "shared_prefix"
                    );
                this.cachedPrompts = this.cachedPrompts.filter((p) => p.id !== id);
                return {deleted: true};
            }
            case "listConversations": {
                const before = value.before == null ? null : readConversationCursor(String(value.before));
                if (value.before != null && before == null) throw invalid("'before' must be a cursor from a listing (where its last chat is listed).");
                if (![undefined, null, "", true, false, "true", "false"].includes(value.pinned as never)) throw invalid("'pinned' must be true or false.");
                const words = searchWords(typeof value.text === "string" ? value.text : "");
                return byLastActivity(
                    [...this.conversations.values()]
                        .filter((c) => value.profile == null || c.profile === value.profile)
                        .filter((c) => before == null || listedAfter(listPlace(c), before))
                        .filter((c) => !(value.pinned === true || value.pinned === "true") || c.pinned === true)
                        .filter((c) => holdsEveryWord([c.title, ...c.messages.map((m) => m.content)], words))
                )
                    .slice(0, value.pinned === true || value.pinned === "true" ? undefined : CONVERSATION_PAGE)
                    .map((c) => structuredClone(c));
            }
            case "saveConversation": {
                const {
                    baseUpdatedAt: base,
                    baseSettings,
                    ...c
                } = structuredClone(value) as unknown as ConversationRecord & {baseUpdatedAt?: number; baseSettings?: ConversationSettings};
                checkMessages(c.messages, "messages", new Set());
                requiredString(c.id, "id", 80, idPattern);
                const stored = this.conversations.get(c.id);
                // Another window's save that would drop a message of the stored copy (of any version) is kept; the
                // stored copy comes back. Messages the copy deleted count as held.
                if (stored != null && stored.updatedAt !== base && !holdsEveryMessage(c.messages, stored.messages, c.deletedMessageIds))
                    return {id: c.id, updatedAt: stored.updatedAt, conflict: structuredClone(stored)};
                // Saved over a later version: the settings it did not change since its base stay as stored.
                const settings = stored != null && stored.updatedAt !== base && baseSettings != null ? mergeSettings(stored, baseSettings, c) : settingsOf(c);
                // As the server: a chat keeps the creation time it was first stored with, and its sync version never goes back.
                const updatedAt = Math.max(c.updatedAt, stored?.updatedAt ?? c.updatedAt);
                // As the server: a message deleted in any window stays deleted.
                const sent = deletedIdsOf(c.deletedMessageIds, []);
                const sentIds = new Set(sent);
                const deleted = deletedIdsOf(stored?.deletedMessageIds, sent);
                const saved: ConversationRecord = {
                    ...c,
                    ...settings,
                    createdAt: stored?.createdAt ?? c.createdAt,
                    updatedAt,
                    messages: withKeptHits(withoutMessages(c.messages, new Set(deleted)))
                };
                // The server lists a chat that is not pinned, or has no deleted message, without the field.
                if (saved.pinned !== true) delete saved.pinned;
                if (deleted.length === 0) delete saved.deletedMessageIds;
                else saved.deletedMessageIds = deleted;
                this.conversations.set(c.id, saved);
                return {
                    id: c.id,
                    updatedAt,
                    ...(sameSettings(settings, c) ? {} : {settings: structuredClone(settings)}),
                    ...(deleted.some((id) => !sentIds.has(id)) ? {deletedMessageIds: deleted} : {})
                };
            }
            case "deleteConversation":
                return {deleted: this.conversations.delete(requiredString(value.id, "id", 80, idPattern))};
            case "listProfiles":
                return this.listProfiles();
            case "saveProfile": {
                const name = requiredString(value.name, "name", 64, profileNamePattern).trim();
                if (isReservedName(name)) throw invalid(`'${name}' is reserved; choose another name.`, "reserved_name");
                const group = typeof value.group === "string" && value.group.trim() !== "" ? value.group.trim() : undefined;
                if (!this.profiles.includes(name)) this.profiles = [...this.profiles, name];
                this.setGroup(name, group);
                return this.listProfiles();
            }
            case "deleteProfile": {
                const name = requiredString(value.name, "name", 64, profileNamePattern);
                this.profiles = this.profiles.filter((p) => p !== name);
                this.setGroup(name, undefined);
                return this.listProfiles();
            }
            case "listModels": {
                const current = this.modelStatus.modelPath;
                return {
                    modelsDir: "/data/models",
                    models: this.models.map((m) => ({...m, current: m.path === current})),
                    status: structuredClone(this.modelStatus)
                };
            }
            case "loadModel": {
                const path = requiredString(value.path, "path", 4096);
                if (this.modelStatus.status === "loading")
                    throw new ApiError(
                        "A model is already loading, or the previous one is still finishing its requests. Wait until it is ready, then try again.",
                        409,
                        "invalid_request_error",
                        "model_loading"
                    );
                const model = this.models.find((m) => m.path === path);
                if (!model) {
                    if (!path.startsWith("/") || !path.toLowerCase().endsWith(".gguf"))
                        throw invalid("'path' must be one of the listed models or an absolute path to a .gguf file.", "invalid_model_path");
                    // The fake has no disk: a file it does not list is not there.
                    throw invalid(`No model file at ${path}.`, "model_not_found");
                }
                // As the server: a file it lists as unservable is refused before anything is unloaded.
                if (model.problem !== null) throw invalid(`${path.slice(path.lastIndexOf("/") + 1)} cannot be served: ${model.problem}.`, "invalid_model_file");
                this.modelStatus = {status: "loading", progress: 0, modelId: model.id, modelPath: model.path, error: null};
                return structuredClone(this.modelStatus);
            }
            case "modelStatus":
                return structuredClone(this.modelStatus);
            case "listKeys":
                return structuredClone(this.keys);
            case "createKey": {
                const name = requiredString(value.name, "name", 64);
                if (!keyNamePattern.test(name)) throw invalid("A key's name must be 1-64 letters, digits, '.', '@', '_' or '-'.", "invalid_key_name");
                if (isReservedName(name)) throw invalid(`'${name}' is reserved; choose another name.`, "invalid_key_name");
                if (this.keys.some((k) => k.name.toLowerCase() === name.toLowerCase()))
                    throw new ApiError(`A key named '${name}' exists; revoke it first or choose another name.`, 409, "invalid_request_error", "key_name_taken");
                const group = typeof value.group === "string" && value.group.trim() !== "" ? value.group : undefined;
                const id = `k${this.nextKey++}`;
                const key = `kvs-fake-${id}-secret`;
                const entry: ApiKeyInfo = {id, name, ...(group != null ? {group} : {}), hint: key.slice(0, 8), createdAt: "2025-01-01T00:00:00.000Z"};
                this.keys = [...this.keys, entry];
                return {key, entry: structuredClone(entry)};
            }
            case "revokeKey": {
                const id = requiredString(value.id, "id", 64, /^[\w-]+$/);
                if (!this.keys.some((k) => k.id === id)) throw new ApiError(`No key with id '${id}'.`, 404, "not_found_error", "not_found");
                this.keys = this.keys.filter((k) => k.id !== id);
                return structuredClone(this.keys);
            }
            default: {
                // A new admin operation needs its fake here (and its cases in the contract test).
                const unhandled: never = op;
                throw new Error(`FakeAdmin does not implement '${String(unhandled)}'`);
            }
        }
    }

    /** Like the server's: each profile with its line of `sharing.groups`. */
    private listProfiles(): Profile[] {
        const groups = this.settings.sharing.groups;
        return this.profiles.map((name) => (Object.hasOwn(groups, name) ? {name, group: groups[name]!} : {name}));
    }

    /** Like the server's: a profile's group is its line of `sharing.groups`. */
    private setGroup(name: string, group: string | undefined): void {
        const groups = {...this.settings.sharing.groups};
        if (group == null) delete groups[name];
        else groups[name] = group;
        this.settings = {...this.settings, sharing: {...this.settings.sharing, groups}};
    }

    /** As the server's model load does once it ends: the model serves, with the runtime settings as they were then. */
    finishLoad(): void {
        this.modelStatus = {...this.modelStatus, status: "ok", progress: 1, error: null};
        if (this.settings.runtime != null) this.settings = {...this.settings, runtime: runtimeLoaded(this.settings.runtime)};
    }

    /** As a server started with these flags over its settings file (`serve --threads 1 --cpu`). */
    startedWith(flags: Partial<RuntimeSettings>): void {
        if (this.settings.runtime != null) this.settings = {...this.settings, runtime: runtimeStartedWith(this.settings.runtime, flags)};
    }

    count(op: AdminOp): number {
        return this.calls.filter((c) => c.op === op).length;
    }
}
