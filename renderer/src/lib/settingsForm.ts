import {parseDecimal} from "./decimal.js";
import {runtimeDraftFrom, runtimeLabels, runtimePatchFrom, type RuntimeDraft} from "./runtimeForm.js";
import type {AdminSettings, AdminSettingsPatch, AdminSharingSettings} from "../../../shared/admin.js";
import type {RecomputePolicy, ScopeOverride} from "../../../shared/settings.js";

/** The recompute policies as the settings panel names them, in the order offered (cheapest first). */
export const recomputePolicyLabels: Readonly<Record<RecomputePolicy, string>> = {
    none: "None (new tokens only)",
    boundary: "Edit boundaries",
    epic: "First tokens of each run (EPIC)",
    deviation: "Measured deviation (CacheBlend)",
    dhd: "Deviation × attention (DHD)",
    "dhd-decode": "DHD + decode-stage fixes",
    "dhd-guard": "DHD + decode fixes + near-tie guard"
};

/** What each recompute policy buys and costs, as the settings panel explains the one chosen. */
export const recomputePolicyHints: Readonly<Record<RecomputePolicy, string>> = {
    none: "Only new tokens are computed: the most reuse, the answers furthest from a full prefill's",
    boundary: "The budget goes to the first tokens after each edit (a guess, no measurement)",
    epic: "The budget goes to the same number of first tokens of every reused run",
    deviation: "A probe of the first layers measures which reused tokens deviate most; the budget goes to them",
    dhd: "The first token after each edit, then measured deviation weighted by the attention the prompt's end pays each token",
    "dhd-decode": "DHD, then more measured tokens fixed a few per generated token while the machine has time",
    "dhd-guard":
        "DHD with decode fixes; in a greedy answer (temperature 0), before a token the model hesitates over (a runner-up within a nat of it: odds under 2.7 to 1), all reused KV past the shared start is recomputed at once, while the machine answers nothing else: answers as a full prefill's, but that token waits for it (the first one too)"
};

/** The admin form's fields as typed (strings for numbers, so a bad value reaches the server's validator). */
export interface SettingsDraft {
    enabled: boolean;
    prefixReuse: boolean;
    costGate: boolean;
    similarityThreshold: string;
    topK: string;
    minRunLength: string;
    recomputeBudget: string;
    recomputePolicy: RecomputePolicy;
    minGainTokens: string;
    embedder: AdminSharingSettings["embedder"];
    scopePolicy: AdminSharingSettings["scopePolicy"];
    /** One "user = group" per line. */
    groups: string;
    /** Marked shared prefixes, separated by a line holding only `---`. */
    sharedPrefixes: string;
    /** Snapshot budget in MiB. */
    budgetMiB: string;
    memoryMiB: string;
    /** One origin per line. */
    corsOrigins: string;
    apiEnabled: boolean;
    apiHost: string;
    apiPort: string;
    /** Per-scope threshold and budget as typed; an empty field follows the global value. */
    scopeOverrides: Record<string, {similarityThreshold: string; recomputeBudget: string}>;
    historyDays: string;
    /** Quality monitor share in percent; empty: the app's default. */
    monitorPercent: string;
    /** The runtime settings as typed; null when the server does not report them. */
    runtime: RuntimeDraft | null;
}

const MiB = 1024 ** 2;

export function draftFrom(settings: AdminSettings): SettingsDraft {
    const s = settings.sharing;
    return {
        enabled: s.enabled,
        prefixReuse: s.prefixReuse,
        costGate: s.costGate,
        similarityThreshold: String(s.similarityThreshold),
        topK: String(s.topK),
        minRunLength: String(s.minRunLength),
        recomputeBudget: String(s.recomputeBudget),
        recomputePolicy: s.recomputePolicy,
        minGainTokens: String(s.minGainTokens),
        embedder: s.embedder,
        scopePolicy: s.scopePolicy,
        groups: Object.entries(s.groups)
            .map(([user, group]) => groupLine(user, group))
            .join("\n"),
        sharedPrefixes: s.sharedPrefixes.join(prefixSeparator),
        budgetMiB: toMiB(s.maxSnapshotBytes),
        memoryMiB: toMiB(s.maxMemoryBytes),
        corsOrigins: settings.api.corsOrigins.join("\n"),
        apiEnabled: settings.api.enabled,
        apiHost: settings.api.host,
        apiPort: String(settings.api.port),
        scopeOverrides: Object.fromEntries(
            Object.entries(s.scopeOverrides).map(([scope, o]) => [
                scope,
                {
                    similarityThreshold: o.similarityThreshold == null ? "" : String(o.similarityThreshold),
                    recomputeBudget: o.recomputeBudget == null ? "" : String(o.recomputeBudget)
                }
            ])
        ),
        historyDays: String(s.historyDays),
        monitorPercent: s.monitorShare == null ? "" : String(Math.round(s.monitorShare * 10_000) / 100),
        runtime: settings.runtime == null ? null : runtimeDraftFrom(settings.runtime)
    };
}

/** The per-scope overrides as typed, as the settings hold them; or an error message. */
export function parseScopeOverrides(draft: SettingsDraft["scopeOverrides"]): Record<string, ScopeOverride> | string {
    const out: Record<string, ScopeOverride> = {};
    for (const [scope, fields] of Object.entries(draft)) {
        const override: ScopeOverride = {};
        for (const [key, label] of [
            ["similarityThreshold", "threshold"],
            ["recomputeBudget", "budget"]
        ] as const) {
            if (fields[key].trim() === "") continue;
            const value = numeric(fields[key]);
            if (Number.isNaN(value)) return `The ${label} of ${scope} must be a number (or empty for the global value).`;
            if (value < 0 || value > 1) return `The ${label} of ${scope} must be between 0 and 1 (or empty for the global value); got ${value}.`;
            override[key] = value;
        }
        if (Object.keys(override).length > 0) out[scope] = override;
    }
    return out;
}

function toMiB(bytes: number): string {
    return String(Math.round((bytes / MiB) * 100) / 100);
}

/** Numbers as typed: a number when it parses, else the text itself (the server says what is wrong). */
function numeric(text: string): number {
    return parseDecimal(text);
}

/** The largest snapshot budget or memory tier the server takes (1 TiB), in the fields' MiB. */
const maxBudgetMiB = 1024 * 1024;

const prefixSeparator = "\n---\n";

/** The marked shared prefixes typed in one box, separated by lines holding only `---`. */
export function parseSharedPrefixes(text: string): string[] {
    return text
        .split(/\n\s*---\s*\n/)
        .map((part) => part.trim())
        .filter((part) => part !== "");
}

/** A name as a groups line holds it: in quotes (JSON's) where it could be misread (a separator, spaces at its ends). */
function quotedWhereNeeded(name: string, side: "user" | "group"): string {
    const misread = side === "user" ? /[=:"]/.test(name) : name.startsWith('"');
    return misread || name !== name.trim() ? JSON.stringify(name) : name;
}

/** One line of the groups box; {@link parseGroups} reads it back as it was, whatever the names hold. */
export function groupLine(user: string, group: string): string {
    return `${quotedWhereNeeded(user, "user")} = ${quotedWhereNeeded(group, "group")}`;
}

/** A name of a groups line: a quoted one read as JSON, else trimmed; null where the quotes are malformed. */
function nameOf(text: string): string | null {
    const name = text.trim();
    if (!name.startsWith('"')) return name;
    try {
        const parsed: unknown = JSON.parse(name);
        return typeof parsed === "string" ? parsed : null;
    } catch {
        return null;
    }
}

/**
 * The groups box read: one "user = group" per line ("user: group" too). A name holding "=", ":" or a quote is written
 * in quotes ("Night: nurse" = ward-3); unquoted, a line splits at its first "=", or at its first ":" where it has none.
 */
export function parseGroups(text: string): Record<string, string> | string {
    const groups: Record<string, string> = {};
    const lineOf = new Map<string, number>();
    for (const [index, line] of text.split("\n").entries()) {
        if (line.trim() === "") continue;
        const trimmed = line.trim();
        const quoted = /^("(?:[^"\\]|\\.)*")\s*[=:]\s*(.+)$/.exec(trimmed);
        const separator = trimmed.includes("=") ? "=" : ":";
        const at = trimmed.indexOf(separator);
        const [userText, groupText] = quoted ? [quoted[1]!, quoted[2]!] : at > 0 ? [trimmed.slice(0, at), trimmed.slice(at + 1)] : [null, null];
        const user = userText === null ? null : nameOf(userText);
        const group = groupText === null ? null : nameOf(groupText);
        if (user === null || group === null || user === "" || group === "")
            return `Line ${index + 1} of the groups is not "user = group" (a name holding "=", ":" or a quote goes in quotes: "Night: nurse" = ward-3).`;
        // A user in two groups is a mistake to point at, not one for the last line to settle silently.
        const earlier = lineOf.get(user);
        if (earlier != null)
            return `Line ${index + 1} of the groups puts ${user} in a group again (line ${earlier} put them in ${groups[user]}): a user belongs to one group.`;
        lineOf.set(user, index + 1);
        groups[user] = group;
    }
    return groups;
}

/**
 * The change between the saved settings and the draft, as a PATCH body; or an error message when a
 * field cannot even be read (non-numeric text, a malformed group line).
 */
export function patchFrom(settings: AdminSettings, draft: SettingsDraft): AdminSettingsPatch | string {
    const s = settings.sharing;
    const sharing: Partial<AdminSharingSettings> = {};
    const numbers: Array<[keyof AdminSharingSettings & keyof SettingsDraft, string]> = [
        ["similarityThreshold", "Similarity threshold"],
        ["topK", "Top-k"],
        ["minRunLength", "Minimum kept run"],
        ["recomputeBudget", "Recompute budget"],
        ["minGainTokens", "Minimum gain"]
    ];
    for (const [key, label] of numbers) {
        const value = numeric(draft[key] as string);
        if (Number.isNaN(value)) return `${label} must be a number.`;
        if (value !== s[key]) (sharing as Record<string, unknown>)[key] = value;
    }
    // Named and bounded as the fields show them (MiB): the server's own message would speak of bytes.
    const budgets: Array<["budgetMiB" | "memoryMiB", "maxSnapshotBytes" | "maxMemoryBytes", string]> = [
        ["budgetMiB", "maxSnapshotBytes", "Snapshot budget"],
        ["memoryMiB", "maxMemoryBytes", "Memory tier"]
    ];
    for (const [field, key, label] of budgets) {
        const mib = numeric(draft[field]);
        if (Number.isNaN(mib)) return `${label} must be a number of MiB.`;
        if (mib < 0 || mib > maxBudgetMiB)
            return `${label} must be between 0 and ${maxBudgetMiB.toLocaleString("en-US")} MiB (1 TiB); got ${mib.toLocaleString("en-US")}.`;
        const bytes = Math.round(mib * MiB);
        if (Math.abs(bytes - s[key]) >= MiB / 200) sharing[key] = bytes;
    }
    if (draft.enabled !== s.enabled) sharing.enabled = draft.enabled;
    if (draft.prefixReuse !== s.prefixReuse) sharing.prefixReuse = draft.prefixReuse;
    if (draft.costGate !== s.costGate) sharing.costGate = draft.costGate;
    if (draft.recomputePolicy !== s.recomputePolicy) sharing.recomputePolicy = draft.recomputePolicy;
    if (draft.embedder !== s.embedder) sharing.embedder = draft.embedder;
    if (draft.scopePolicy !== s.scopePolicy) sharing.scopePolicy = draft.scopePolicy;
    const groups = parseGroups(draft.groups);
    if (typeof groups === "string") return groups;
    if (JSON.stringify(groups) !== JSON.stringify(s.groups)) sharing.groups = groups;
    const prefixes = parseSharedPrefixes(draft.sharedPrefixes);
    if (JSON.stringify(prefixes) !== JSON.stringify(s.sharedPrefixes)) sharing.sharedPrefixes = prefixes;
    const overrides = parseScopeOverrides(draft.scopeOverrides);
    if (typeof overrides === "string") return overrides;
    if (JSON.stringify(overrides) !== JSON.stringify(s.scopeOverrides)) sharing.scopeOverrides = overrides;
    const days = numeric(draft.historyDays);
    if (Number.isNaN(days)) return "History must be a number of days.";
    if (days !== s.historyDays) sharing.historyDays = days;
    const monitor = draft.monitorPercent.trim() === "" ? null : numeric(draft.monitorPercent) / 100;
    if (monitor != null && Number.isNaN(monitor)) return "The quality monitor share must be a percentage (or empty for the app's default).";
    if (monitor != null && (monitor < 0 || monitor > 1))
        return `The quality monitor share must be between 0 and 100% (or empty for the app's default); got ${draft.monitorPercent.trim()}%.`;
    if (monitor !== s.monitorShare) sharing.monitorShare = monitor;

    const patch: AdminSettingsPatch = {};
    if (Object.keys(sharing).length > 0) patch.sharing = sharing;
    const api: NonNullable<AdminSettingsPatch["api"]> = {};
    const origins = draft.corsOrigins
        .split("\n")
        .map((o) => o.trim())
        .filter((o) => o !== "");
    if (JSON.stringify(origins) !== JSON.stringify(settings.api.corsOrigins)) api.corsOrigins = origins;
    if (draft.apiEnabled !== settings.api.enabled) api.enabled = draft.apiEnabled;
    const host = draft.apiHost.trim();
    if (host !== settings.api.host) api.host = host;
    const port = numeric(draft.apiPort);
    if (Number.isNaN(port)) return "Port must be a number (0 picks a free one).";
    if (port !== settings.api.port) api.port = port;
    if (Object.keys(api).length > 0) patch.api = api;
    if (settings.runtime != null && draft.runtime != null) {
        const runtime = runtimePatchFrom(settings.runtime, draft.runtime);
        if (typeof runtime === "string") return runtime;
        if (Object.keys(runtime).length > 0) patch.runtime = runtime;
    }
    return patch;
}

/** The panel's names of the settings the server's messages name by their path. */
const fieldLabels: Record<string, string> = {
    "sharing.similarityThreshold": "Similarity threshold",
    "sharing.topK": "Top-k",
    "sharing.minRunLength": "Minimum kept run",
    "sharing.recomputeBudget": "Recompute budget",
    "sharing.minGainTokens": "Minimum gain",
    "sharing.maxSnapshotBytes": "Snapshot budget",
    "sharing.maxMemoryBytes": "Memory tier",
    "sharing.historyDays": "History",
    "sharing.monitorShare": "Quality monitor share",
    "sharing.groups": "Groups",
    "sharing.sharedPrefixes": "Shared prefixes",
    "sharing.recomputePolicy": "Recompute policy",
    "sharing.scopePolicy": "Sharing scope",
    "api.port": "Port",
    "api.host": "Host",
    "api.corsOrigins": "CORS origins",
    ...Object.fromEntries(Object.entries(runtimeLabels).map(([key, label]) => [`runtime.${key}`, label]))
};

/** What the panel calls a setting the server names by its path (`sharing.recomputeBudget`: "Recompute budget"). */
export function settingLabel(path: string): string {
    return fieldLabels[path] ?? path;
}

/** A server's message about a setting, with the setting called what the panel calls it. */
export function friendlySettingsError(message: string): string {
    return message
        .replace(/sharing\.scopeOverrides\.(\S+?)\.(similarityThreshold|recomputeBudget)\b/g, (_m, scope: string, key: string) =>
            key === "similarityThreshold" ? `The threshold for ${scope}` : `The budget for ${scope}`
        )
        .replace(/\b(sharing|api|runtime)\.[A-Za-z]+\b/g, (path) => fieldLabels[path] ?? path);
}
