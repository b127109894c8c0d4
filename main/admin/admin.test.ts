import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {AdminSettings, CacheStats, ConversationRecord, Profile} from "../../shared/admin.js";
import {byLastActivity, listPlace} from "../../shared/chatActivity.js";
import {CONVERSATION_PAGE, conversationCursor} from "../../shared/conversationSearch.js";
import {startTestServer, type TestServer} from "../../test/support/testServer.js";
import {APP_DB_FILE, APP_DB_VERSION, openAppDb} from "./appDb.js";
import {runAdminOp} from "./operations.js";
import type {CacheAdmin} from "./ports.js";
import {cacheStats, chooseBucketMs} from "./statsService.js";

const lily = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball.";
const tom = "Once upon a time, there was a little boy named Tom. He loved to play outside in the park with his red ball.";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

async function chat(user: string, content: string) {
    const response = await server.api("/v1/chat/completions", {
        method: "POST",
        json: {messages: [{role: "user", content}], user, max_tokens: 8, temperature: 0}
    });
    expect(response.status).toBe(200);
    return (await response.json()) as {x_kvshare: {mode: string; reused_tokens: number; scope?: string; donor?: {similarity: number}}};
}

/** The donor's snapshot is written after the answer is sent: wait until the cache holds it. */
async function cacheHolds(count: number): Promise<void> {
    await expect.poll(() => server.core.cache?.count() ?? 0, {timeout: 30_000, interval: 50}).toBeGreaterThanOrEqual(count);
}

describe("settings", () => {
    it("reads and changes sharing settings live, saving only the change to settings.json", async () => {
        const got = (await (await server.api("/kvshare/settings")).json()) as AdminSettings;
        expect(got.sharing.similarityThreshold).toBe(0.3);
        expect(got.api.keyHint).toMatch(/•+cdef$/);
        expect(got.readOnly).toContain("api.auth");

        const patched = await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {similarityThreshold: 0.55, topK: 4}}});
        expect(patched.status).toBe(200);
        expect(((await patched.json()) as AdminSettings).sharing).toMatchObject({similarityThreshold: 0.55, topK: 4});
        expect(server.core.settings.sharing.similarityThreshold).toBe(0.55);
        const file = JSON.parse(fs.readFileSync(path.join(server.dataDir, "settings.json"), "utf8")) as Record<string, unknown>;
        // Only the change: start-up overrides (port 0, 1 thread) and the defaults stay out of the file.
        expect(file).toEqual({sharing: {similarityThreshold: 0.55, topK: 4}});
        runAdminOp(server.core.admin, "patchSettings", {sharing: {similarityThreshold: 0.3, topK: 8}});
    });

    it("refuses a threshold outside 0..1 and unknown or read-only fields with a 400 and a clear message", async () => {
        for (const [json, pattern] of [
            [{sharing: {similarityThreshold: 1.5}}, /similarityThreshold must be between 0 and 1/],
            [{sharing: {similarityThreshold: "high"}}, /similarityThreshold must be a number/],
            [{sharing: {topK: 2.5}}, /topK must be a whole number/],
            [{sharing: {scopePolicy: "everyone"}}, /scopePolicy must be one of/],
            [{sharing: {nope: 1}}, /Unknown sharing setting 'nope'/],
            [{api: {auth: false}}, /api.auth cannot be changed/],
            [{threads: 8}, /'threads' is changed as 'runtime.threads'/],
            [{limits: {maxQueue: 8}}, /'limits' cannot be changed/],
            [{api: {corsOrigins: ["http://x.example/path"]}}, /not an origin/]
        ] as const) {
            const response = await server.api("/kvshare/settings", {method: "PATCH", json});
            expect(response.status, JSON.stringify(json)).toBe(400);
            const body = (await response.json()) as {error: {message: string; type: string}};
            expect(body.error.type).toBe("invalid_request_error");
            expect(body.error.message).toMatch(pattern);
        }
        expect(server.core.settings.sharing.similarityThreshold).toBe(0.3);
    });

    it("is protected by the API key", async () => {
        expect((await server.api("/kvshare/settings", {noAuth: true})).status).toBe(401);
        expect((await server.api("/kvshare/cache/clear", {method: "POST", noAuth: true})).status).toBe(401);
    });
});

describe("cache stats, threshold live, clear", () => {
    it("counts a paraphrase hit, its donor, tokens saved and TTFT; a raised threshold makes the next one a miss", async () => {
        server.core.requestLog.clear();
        await chat("nurse", lily);
        await cacheHolds(1);
        const hit = await chat("student", tom);
        expect(hit.x_kvshare.mode).toBe("semantic");
        expect(hit.x_kvshare.reused_tokens).toBeGreaterThan(0);
        const similarity = hit.x_kvshare.donor!.similarity;

        const stats = (await (await server.api("/kvshare/cache/stats")).json()) as CacheStats;
        expect(stats.totals.requests).toBe(2);
        expect(stats.totals.donorHits).toBe(1);
        expect(stats.totals.reusedTokens).toBeGreaterThan(0);
        expect(stats.totals.hitRate).toBeGreaterThan(0);
        expect(stats.ttft.withReuse.count).toBeGreaterThanOrEqual(1);
        expect(stats.ttft.withoutReuse.count).toBeGreaterThanOrEqual(1);
        expect(stats.cache.entries).toBeGreaterThanOrEqual(1);
        expect(stats.cache.bytes).toBeGreaterThan(0);
        expect(stats.cache.budgetBytes).toBe(server.core.settings.sharing.maxSnapshotBytes);
        // A scope's view counts that scope's entries only.
        const own = (await (await server.api("/kvshare/cache/stats?scope=global")).json()) as CacheStats;
        // The memory tier holds every scope's donors: in the whole cache's view only.
        expect(own.cache).toEqual({...stats.cache, memoryBytes: null});
        const other = (await (await server.api("/kvshare/cache/stats?scope=user%3Anobody")).json()) as CacheStats;
        expect(other.cache).toEqual({
            entries: 0,
            bytes: 0,
            budgetBytes: stats.cache.budgetBytes,
            memoryBytes: null,
            memoryBudgetBytes: stats.cache.memoryBudgetBytes
        });
        expect(stats.topDonors[0]).toMatchObject({hits: 1, prompt: expect.stringContaining("Lily"), scope: "global"});
        expect(stats.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(2);

        // Raised above the pair's similarity: takes effect on the very next request, no restart.
        const raised = Math.min(1, similarity + 0.05);
        expect((await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {similarityThreshold: raised}}})).status).toBe(200);
        const miss = await chat("teacher", "Once upon a time, there was a big dog named Max. It liked to run in the garden with its blue stick.");
        expect(miss.x_kvshare.mode).not.toBe("semantic");
        runAdminOp(server.core.admin, "patchSettings", {sharing: {similarityThreshold: 0.3}});
    });

    it("clears the cache", async () => {
        await cacheHolds(1);
        const cleared = (await (await server.api("/kvshare/cache/clear", {method: "POST"})).json()) as {removedEntries: number; freedBytes: number};
        expect(cleared.removedEntries).toBeGreaterThan(0);
        expect(cleared.freedBytes).toBeGreaterThan(0);
        expect(server.core.cache?.count()).toBe(0);
        expect(cacheStats(server.core.admin).cache.bytes).toBe(0);
    });

    it("says what a smaller snapshot budget removed at once, and nothing where it removed nothing", async () => {
        await chat("nurse", lily);
        await cacheHolds(1);
        const before = cacheStats(server.core.admin).cache;
        const budget = server.core.settings.sharing.maxSnapshotBytes;
        const patch = async (maxSnapshotBytes: number) =>
            (await (await server.api("/kvshare/settings", {method: "PATCH", json: {sharing: {maxSnapshotBytes}}})).json()) as AdminSettings & {
                evicted?: {removedEntries: number; freedBytes: number};
            };
        const lowered = await patch(0);
        expect(lowered.evicted).toEqual({removedEntries: before.entries, freedBytes: before.bytes});
        expect(lowered.sharing.maxSnapshotBytes).toBe(0);
        expect(cacheStats(server.core.admin).cache.entries).toBe(0);
        expect((await patch(budget)).evicted).toBeUndefined();
    });

    it("buckets time in nice steps", () => {
        expect(chooseBucketMs(0)).toBe(10_000);
        expect(chooseBucketMs(30 * 60_000)).toBe(30_000);
        expect(chooseBucketMs(2 * 3_600_000)).toBe(5 * 60_000);
        expect(chooseBucketMs(48 * 3_600_000)).toBe(3_600_000);
        const core = server.core;
        core.requestLog.clear();
        const now = 1_700_000_000_000;
        core.requestLog.add({at: now - 25_000, user: "a", scope: "global", mode: "none", promptTokens: 10, reusedTokens: 0, completionTokens: 1, ttftMs: 20});
        // Its own prefix of one token: some KV reused, but not a hit of the cache's (no donor).
        core.requestLog.add({at: now - 22_000, user: "a", scope: "global", mode: "prefix", promptTokens: 10, reusedTokens: 1, completionTokens: 1, ttftMs: 19});
        core.requestLog.add({
            at: now - 1_000,
            user: "b",
            scope: "global",
            mode: "semantic",
            promptTokens: 30,
            reusedTokens: 6,
            completionTokens: 1,
            ttftMs: 8,
            // The wait for a sequence is left out of the TTFT compared (reuse does not change it).
            queueMs: 3,
            donorId: 99
        });
        const stats = cacheStats(core.admin, {bucketMs: 10_000}, now);
        expect(stats.buckets).toHaveLength(12);
        expect(stats.buckets.slice(-4).map((b) => b.requests)).toEqual([2, 0, 1, 0]);
        expect(stats.buckets.at(-1)!.start).toBe(now);
        expect(stats.buckets.at(-2)).toMatchObject({hits: 1, donorHits: 1, reusedTokens: 6, ttftWithReuseMs: 5, ttftWithoutReuseMs: null});
        expect(stats.totals).toMatchObject({requests: 3, hits: 2, donorHits: 1});
        // Each side with its median prompt length: the prompts compared are not alike.
        expect(stats.ttft.withReuse).toMatchObject({count: 2, medianMs: 12, medianPromptTokens: 20});
        expect(stats.ttft.withoutReuse).toMatchObject({count: 1, medianMs: 20, medianPromptTokens: 10});
        expect(stats.totals.hitRate).toBeCloseTo(1 / 3, 12);
        // Donor 99 is not cached (anymore): nothing of it left to show.
        expect(stats.topDonors).toEqual([]);
        core.requestLog.clear();
    });

    it("lists as top donors the prompts still cached, the most reused first, and leaves out the removed ones", () => {
        const core = server.core;
        core.requestLog.clear();
        const now = 1_700_000_000_000;
        const served = (donorId: number, at: number) =>
            core.requestLog.add({at, user: "a", scope: "global", mode: "semantic", promptTokens: 10, reusedTokens: 6, completionTokens: 1, ttftMs: 8, donorId});
        // Donor 7 was reused most, then deleted (or evicted, or cleared); 8 and 9 are still cached.
        served(7, now - 4_000);
        served(7, now - 3_000);
        served(7, now - 2_500);
        served(8, now - 2_000);
        served(8, now - 1_500);
        served(9, now - 1_000);
        const entries = new Map([
            [8, {scope: "global", promptText: "Once upon a time", hitCount: 5, bytes: 512}],
            [9, {scope: "user:ben", promptText: "Ben's question", hitCount: 1, bytes: 256}]
        ]);
        const store: Pick<CacheAdmin, "get" | "count" | "totalBytes" | "scopeTotals"> = {
            get: (id) => entries.get(id),
            count: () => entries.size,
            totalBytes: () => 768,
            scopeTotals: () => ({entries: 1, bytes: 512})
        };
        const deps = {...core.admin, cache: () => store as CacheAdmin};
        expect(cacheStats(deps, {}, now).topDonors).toEqual([
            {id: 8, hits: 2, lifetimeHits: 5, prompt: "Once upon a time", scope: "global", bytes: 512},
            {id: 9, hits: 1, lifetimeHits: 1, prompt: "Ben's question", scope: "user:ben", bytes: 256}
        ]);
        // A scope's view keeps another scope's donor, without its text.
        expect(cacheStats(deps, {scope: "global"}, now).topDonors.map((d) => [d.id, d.prompt])).toEqual([
            [8, "Once upon a time"],
            [9, null]
        ]);
        core.requestLog.clear();
    });
});

describe("conversations and profiles in app.db", () => {
    const conversation: ConversationRecord = {
        id: "c-1",
        title: "Lily",
        profile: "Nurse",
        systemPrompt: "Be brief.",
        params: {temperature: 0.2, max_tokens: 32},
        createdAt: 1_750_000_000_000,
        updatedAt: 1_750_000_002_000,
        messages: [
            {id: "m1", role: "user", content: lily, createdAt: 1_750_000_000_000},
            {
                id: "m2",
                role: "assistant",
                content: "She ran.",
                createdAt: 1_750_000_001_500,
                stats: {ttftMs: 4},
                hit: {mode: "none", prompt_tokens: 58, reused_tokens: 0, computed_tokens: 58, recomputed_tokens: 0}
            }
        ]
    };

    it("saves, lists, replaces and deletes conversations over HTTP", async () => {
        expect((await server.api("/kvshare/conversations/c-1", {method: "PUT", json: conversation})).status).toBe(200);
        let list = (await (await server.api("/kvshare/conversations")).json()) as ConversationRecord[];
        expect(list).toEqual([conversation]);
        const longer = {
            ...conversation,
            updatedAt: 1_750_000_003_000,
            messages: [...conversation.messages, {id: "m3", role: "user" as const, content: "More", createdAt: 1_750_000_002_500}]
        };
        await server.api("/kvshare/conversations/c-1", {method: "PUT", json: longer});
        list = (await (await server.api("/kvshare/conversations?profile=Nurse")).json()) as ConversationRecord[];
        expect(list[0]!.messages.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
        expect((await (await server.api("/kvshare/conversations?profile=Student")).json()) as unknown[]).toEqual([]);

        const mismatch = await server.api("/kvshare/conversations/c-2", {method: "PUT", json: conversation});
        expect(mismatch.status).toBe(400);
        const bad = await server.api("/kvshare/conversations/c-3", {
            method: "PUT",
            json: {...conversation, id: "c-3", messages: [{id: "x", role: "system", content: ""}]}
        });
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as {error: {message: string}}).error.message).toMatch(/role/);

        expect(await (await server.api("/kvshare/conversations/c-1", {method: "DELETE"})).json()).toEqual({deleted: true});
        expect(await (await server.api("/kvshare/conversations")).json()).toEqual([]);
    });

    it("lists chats a page at a time by their last message, older ones after a cursor, and finds one no page read yet by its words", async () => {
        const at = 1_760_000_000_000;
        const many = Array.from({length: CONVERSATION_PAGE + 5}, (_, i) => ({
            ...conversation,
            id: `page-${String(i).padStart(3, "0")}`,
            title: `Chat ${i}`,
            createdAt: at,
            updatedAt: at + i * 1000,
            messages: [{id: `q${i}`, role: "user" as const, content: i === 2 ? "Où est l'ÉCOLE ?" : `Question ${i}`, createdAt: at + i * 1000}]
        }));
        // Renamed after every other save, last written in before all of them: the sync version is the newest, but
        // it is the oldest chat, so the last of the last page, not on the first page above chats written in since.
        const renamed = {
            ...many[0]!,
            id: "renamed",
            title: "Renamed",
            createdAt: at - 2000,
            updatedAt: at + 999_000,
            messages: [{...many[0]!.messages[0]!, id: "r", createdAt: at - 1000}]
        };
        for (const c of [...many, renamed]) runAdminOp(server.core.admin, "saveConversation", c);
        const page = (query = "") => server.api(`/kvshare/conversations${query}`).then(async (res) => (await res.json()) as ConversationRecord[]);
        const first = await page();
        expect(first).toHaveLength(CONVERSATION_PAGE);
        expect(first[0]!.id).toBe(`page-${CONVERSATION_PAGE + 4}`);
        expect(first.map((c) => c.id)).not.toContain("renamed");
        // The list shows the server's pages in the order they came: no chat of a later page sorts above one of an earlier.
        expect(byLastActivity(first)).toEqual(first);
        const older = await page(`?before=${encodeURIComponent(conversationCursor(listPlace(first.at(-1)!)))}`);
        expect(older.map((c) => c.id)).toEqual(["page-004", "page-003", "page-002", "page-001", "page-000", "renamed"]);
        // The oldest chats, found by their words without reading their pages (any case, accents kept).
        expect((await page(`?text=${encodeURIComponent("école")}`)).map((c) => c.id)).toEqual(["page-002"]);
        expect((await page(`?text=${encodeURIComponent("chat 1 question")}`)).map((c) => c.id)).toContain("page-001");
        const bad = await server.api("/kvshare/conversations?before=yesterday");
        expect(bad.status).toBe(400);
        for (const c of [...many, renamed]) runAdminOp(server.core.admin, "deleteConversation", {id: c.id});
    });

    it("never moves a chat's sync version back: a copy saved again over a later version is stored as of the later one", async () => {
        const v1 = {...conversation, id: "c-back"};
        const base = {title: v1.title, systemPrompt: v1.systemPrompt, params: v1.params};
        const put = async (body: object) =>
            (await (await server.api("/kvshare/conversations/c-back", {method: "PUT", json: body})).json()) as {updatedAt: number; settings?: {title: string}};
        await put(v1);
        // Renamed in another window; then this window's copy, unchanged, is saved again (a repeated save).
        const renamedAt = v1.updatedAt + 5000;
        expect((await put({...v1, title: "Renamed elsewhere", updatedAt: renamedAt, baseUpdatedAt: v1.updatedAt, baseSettings: base})).updatedAt).toBe(
            renamedAt
        );
        const again = await put({...v1, baseUpdatedAt: v1.updatedAt, baseSettings: base});
        expect(again.updatedAt).toBe(renamedAt);
        expect(again.settings?.title).toBe("Renamed elsewhere");
        const [stored] = ((await (await server.api("/kvshare/conversations?text=Renamed")).json()) as ConversationRecord[]).filter((c) => c.id === "c-back");
        expect([stored?.title, stored?.updatedAt]).toEqual(["Renamed elsewhere", renamedAt]);
        runAdminOp(server.core.admin, "deleteConversation", {id: "c-back"});
    });

    it("pins a chat: kept with it, listed with ?pinned=true however old, and unpinned", async () => {
        const old = {...conversation, id: "c-old", updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, pinned: true};
        const recent = {...conversation, id: "c-new"};
        for (const c of [old, recent]) expect((await server.api(`/kvshare/conversations/${c.id}`, {method: "PUT", json: c})).status).toBe(200);
        const list = async (query = "") => (await (await server.api(`/kvshare/conversations${query}`)).json()) as ConversationRecord[];
        expect((await list()).map((c) => [c.id, c.pinned])).toEqual([
            ["c-new", undefined],
            ["c-old", true]
        ]);
        expect(await list("?pinned=true")).toEqual([old]);
        expect(await list("?pinned=false")).toHaveLength(2);
        const bad = await server.api("/kvshare/conversations?pinned=yes");
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as {error: {param: string}}).error.param).toBe("pinned");
        const badSave = await server.api("/kvshare/conversations/c-old", {method: "PUT", json: {...old, pinned: "yes"}});
        expect(badSave.status).toBe(400);
        await server.api("/kvshare/conversations/c-old", {method: "PUT", json: {...old, pinned: false, baseUpdatedAt: old.updatedAt}});
        expect(await list("?pinned=true")).toEqual([]);
        for (const c of [old, recent]) await server.api(`/kvshare/conversations/${c.id}`, {method: "DELETE"});
    });

    it("keeps conversations across a reopen of the database (WAL, schema version)", () => {
        runAdminOp(server.core.admin, "saveConversation", conversation);
        server.core.db.close();
        const db = openAppDb(path.join(server.dataDir, APP_DB_FILE));
        expect(db.pragma("journal_mode", {simple: true})).toBe("wal");
        expect(db.pragma("user_version", {simple: true})).toBe(APP_DB_VERSION);
        db.close();
        expect(runAdminOp(server.core.admin, "listConversations", {})).toEqual([conversation]);
    });

    it("adds profiles, keeps sharing groups in step and validates names", async () => {
        let profiles = (await (await server.api("/kvshare/profiles/Nurse", {method: "PUT", json: {group: "ward-3"}})).json()) as Profile[];
        expect(profiles).toEqual([{name: "Nurse", group: "ward-3"}]);
        expect(server.core.settings.sharing.groups).toEqual({Nurse: "ward-3"});
        profiles = runAdminOp(server.core.admin, "saveProfile", {name: "Student"});
        expect(profiles.map((p) => p.name)).toEqual(["Nurse", "Student"]);
        expect((await server.api("/kvshare/profiles/" + encodeURIComponent("a\u0001b"), {method: "PUT", json: {}})).status).toBe(400);
        profiles = (await (await server.api("/kvshare/profiles/Nurse", {method: "DELETE"})).json()) as Profile[];
        expect(profiles).toEqual([{name: "Student"}]);
        expect(server.core.settings.sharing.groups).toEqual({});
    });

    it("refuses unknown operations", () => {
        expect(() => runAdminOp(server.core.admin, "dropEverything", {})).toThrow(/Unknown admin operation/);
        expect(() => runAdminOp(server.core.admin, "getSettings", "nope")).toThrow(/must be a JSON object/);
    });
});

describe("a profile's group is the one its requests use", () => {
    const question = "Once upon a time, there was a cat named Tim. He liked milk.";
    const profiles = async () => (await (await server.api("/kvshare/profiles")).json()) as Profile[];
    const patch = (json: unknown) => server.api("/kvshare/settings", {method: "PATCH", json});
    afterAll(async () => {
        for (const name of ["nurse1", "teacher1"]) runAdminOp(server.core.admin, "deleteProfile", {name});
        await runAdminOp(server.core.admin, "patchSettings", {sharing: {scopePolicy: "global", groups: {}}});
    });

    it("shows the group the admin set in the settings, everywhere (a)", async () => {
        expect((await patch({sharing: {scopePolicy: "group"}})).status).toBe(200);
        await server.api("/kvshare/profiles/nurse1", {method: "PUT", json: {group: "ward1"}});
        expect((await chat("nurse1", question)).x_kvshare.scope).toBe("group:ward1");
        // The admin's Groups box, saved over the groups it showed.
        const shown = ((await (await server.api("/kvshare/settings")).json()) as AdminSettings).sharing.groups;
        expect((await patch({sharing: {groups: {nurse1: "ward2"}}, baseGroups: shown})).status).toBe(200);
        expect(await profiles()).toContainEqual({name: "nurse1", group: "ward2"});
        expect(runAdminOp(server.core.admin, "listProfiles", {})).toContainEqual({name: "nurse1", group: "ward2"});
        expect((await chat("nurse1", question)).x_kvshare.scope).toBe("group:ward2");
    });

    it("keeps a profile's group added while the settings panel was open, and refuses a save over a line changed meanwhile (b)", async () => {
        // The panel is opened…
        const shown = ((await (await server.api("/kvshare/settings")).json()) as AdminSettings).sharing.groups;
        // …a profile is added from the sidebar…
        await server.api("/kvshare/profiles/teacher1", {method: "PUT", json: {group: "class7"}});
        // …and the panel saves its groups with an unrelated line added.
        const saved = await patch({sharing: {groups: {...shown, lab: "night"}}, baseGroups: shown});
        expect(saved.status).toBe(200);
        const showsNow = ((await saved.json()) as AdminSettings).sharing.groups;
        expect(showsNow).toEqual({nurse1: "ward2", teacher1: "class7", lab: "night"});
        expect(await profiles()).toContainEqual({name: "teacher1", group: "class7"});
        expect((await chat("teacher1", question)).x_kvshare.scope).toBe("group:class7");

        // The panel, showing what it saved, regroups teacher1, who was regrouped meanwhile: 409 over HTTP and IPC alike.
        await server.api("/kvshare/profiles/teacher1", {method: "PUT", json: {group: "class8"}});
        const input = {sharing: {groups: {...showsNow, teacher1: "class9"}}, baseGroups: showsNow};
        const refused = await patch(input);
        expect(refused.status).toBe(409);
        const body = (await refused.json()) as {error: {message: string; code: string; param: string}};
        expect(body.error).toMatchObject({code: "groups_changed", param: "sharing.groups"});
        expect(body.error.message).toMatch(/teacher1 was moved from class7 to class8 meanwhile, and this change puts them in class9\. Nothing was saved/);
        await expect(runAdminOp(server.core.admin, "patchSettings", input)).rejects.toMatchObject({kind: "conflict", message: body.error.message});
        expect(server.core.settings.sharing.groups).toEqual({nurse1: "ward2", teacher1: "class8", lab: "night"});
        expect((await chat("teacher1", question)).x_kvshare.scope).toBe("group:class8");
    });
});
