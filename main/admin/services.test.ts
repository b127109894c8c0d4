import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {ConversationRecord} from "../../shared/admin.js";
import {silentLogger} from "../common/log.js";
import {KeyStore} from "../config/apiKeys.js";
import {defaultSettings, loadSettings, type Settings} from "../config/settings.js";
import {QualityStore} from "../insights/QualityStore.js";
import {AppDb} from "./appDb.js";
import {deleteConversation, listConversations, saveConversation} from "./conversationsService.js";
import {AdminError} from "./errors.js";
import {createKey, listKeys, revokeKey} from "./keysService.js";
import {deleteProfile, listProfiles, saveProfile} from "./profilesService.js";
import {getSettings, patchSettings, type SettingsDeps} from "./settingsService.js";
import {cacheStats} from "./statsService.js";
import {RequestLog, type RequestLogEntry} from "../insights/RequestLog.js";

// The admin services run over small interfaces: no model, no server, real SQLite in a temp folder.
let dataDir: string;
let db: AppDb;
beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-admin-services-"));
    db = new AppDb(dataDir);
});
afterEach(() => {
    db.close();
    fs.rmSync(dataDir, {recursive: true, force: true});
});

const conversation: ConversationRecord = {
    id: "c-1",
    profile: "Nurse",
    title: "Dosage",
    systemPrompt: "",
    params: {temperature: 0.2},
    createdAt: 1_750_000_000_000,
    updatedAt: 1_750_000_001_000,
    messages: [{id: "m1", role: "user", content: "How much?", createdAt: 1_750_000_000_500}]
};

describe("admin services without a model", () => {
    it("saves, lists and deletes conversations in the app database", () => {
        expect(saveConversation(db, conversation)).toEqual({id: "c-1", updatedAt: conversation.updatedAt});
        expect(listConversations(db, {profile: "Nurse"})).toEqual([conversation]);
        expect(listConversations(db, {profile: "Student"})).toEqual([]);
        expect(() => saveConversation(db, {...conversation, messages: [{id: "x", role: "system", content: ""}]})).toThrow(
            expect.objectContaining({kind: "invalid_input", param: "messages[0].role"}) as Error
        );
        expect(deleteConversation(db, {id: "c-1"})).toEqual({deleted: true});
        expect(listConversations(db)).toEqual([]);
    });

    it("keeps a chat two browsers save: a copy that would drop the other's messages is refused with the stored one", () => {
        const t = conversation.updatedAt;
        const reply = (id: string) => ({id, role: "assistant" as const, content: id, createdAt: t});
        saveConversation(db, conversation);
        // Browser A answers; it grew from the stored version.
        const a = {...conversation, updatedAt: t + 10, messages: [...conversation.messages, reply("a")]};
        expect(saveConversation(db, {...a, baseUpdatedAt: t})).toEqual({id: "c-1", updatedAt: t + 10});
        // Browser B, still on the first version, answers too: saving it would drop A's answer.
        const b = {...conversation, updatedAt: t + 20, messages: [...conversation.messages, reply("b")]};
        expect(saveConversation(db, {...b, baseUpdatedAt: t})).toEqual({id: "c-1", updatedAt: t + 10, conflict: a});
        expect(listConversations(db)).toEqual([a]);
        // A regenerates its answer (a truncation) from what it saved: taken.
        const a2 = {...a, updatedAt: t + 30, messages: [...conversation.messages, reply("a2")]};
        expect(saveConversation(db, {...a2, baseUpdatedAt: t + 10}).conflict).toBeUndefined();
        // A copy that only adds after the stored messages is taken whatever it grew from; the same save again too.
        const more = {...a2, updatedAt: t + 40, messages: [...a2.messages, {...reply("q"), role: "user" as const}]};
        expect(saveConversation(db, more).conflict).toBeUndefined();
        expect(saveConversation(db, {...more, baseUpdatedAt: 1}).conflict).toBeUndefined();
        expect(listConversations(db)[0]!.messages.map((m) => m.id)).toEqual(["m1", "a2", "q"]);
        // Two browsers whose clocks lag the stored time both send that time + 1: the second would drop the first's.
        const laggingA = {...more, updatedAt: t + 41, messages: [...more.messages, reply("from-a")]};
        const laggingB = {...more, updatedAt: t + 41, messages: [...more.messages, reply("from-b")]};
        expect(saveConversation(db, {...laggingA, baseUpdatedAt: t + 40}).conflict).toBeUndefined();
        expect(saveConversation(db, {...laggingB, baseUpdatedAt: t + 40}).conflict).toEqual(laggingA);
        expect(() => saveConversation(db, {...more, baseUpdatedAt: "yesterday"})).toThrow(expect.objectContaining({param: "baseUpdatedAt"}) as Error);
    });

    it("stores the versions of a chat and which is shown; refuses versions that break the limits", () => {
        const t = conversation.updatedAt;
        const m = (id: string, role: "user" | "assistant" = "assistant", extra: object = {}) => ({id, role, content: `text ${id}`, createdAt: t, ...extra});
        // The first question was edited (version 2 of 2 shown); in the first version the answer was regenerated.
        const versions = {
            ...conversation,
            messages: [
                m("q1b", "user", {
                    alternatives: [[m("q1", "user"), m("a1b", "assistant", {alternatives: [[m("a1")]], alternativeIndex: 0})]],
                    alternativeIndex: 1
                }),
                m("a1c")
            ]
        };
        expect(saveConversation(db, versions)).toEqual({id: "c-1", updatedAt: t});
        expect(listConversations(db)).toEqual([versions]);
        // Which version is shown defaults to the last one.
        const unsaid = {...versions, messages: [m("q1b", "user", {alternatives: [[m("q1", "user"), m("q2", "user")]]})]};
        expect(saveConversation(db, {...unsaid, baseUpdatedAt: t}).conflict).toBeUndefined();
        expect(listConversations(db)[0]!.messages[0]).toMatchObject({id: "q1b", alternativeIndex: 1, alternatives: [[{id: "q1"}, {id: "q2"}]]});

        const refused = (messages: unknown[], param: string) =>
            expect(() => saveConversation(db, {...conversation, messages})).toThrow(expect.objectContaining({kind: "invalid_input", param}) as Error);
        // An id used in two versions, an empty version, an index past the versions, versions on a kept version's head.
        refused([m("q", "user", {alternatives: [[m("q", "user")]]})], "messages");
        refused([m("q", "user", {alternatives: [[]]})], "messages[0].alternatives");
        refused([m("q", "user", {alternatives: [[m("q0", "user")]], alternativeIndex: 2})], "messages[0].alternativeIndex");
        refused([m("q", "user", {alternatives: [[m("q0", "user", {alternatives: [[m("q00", "user")]]})]]})], "messages[0].alternatives[0][0]");
        refused([m("q", "user", {alternatives: [[m("q0", "user", {role: "system"})]]})], "messages[0].alternatives[0][0].role");
        // Every version counts toward the messages a chat may hold.
        const many = (prefix: string, n: number) => Array.from({length: n}, (_, i) => m(`${prefix}${i}`));
        expect(() => saveConversation(db, {...conversation, messages: [m("q", "user", {alternatives: [many("x", 2500), many("y", 2500)]})]})).toThrow(
            /at most 5000 messages, all versions counted/
        );
        // A version nested in the first of many shown messages counts too (the shown list was counted before it).
        const [first, ...rest] = many("s", 3000);
        expect(() => saveConversation(db, {...conversation, messages: [{...first!, alternatives: [many("v", 2500)]}, ...rest]})).toThrow(
            /at most 5000 messages, all versions counted/
        );
        // Versions nest only so deep: each level an answer regenerated inside a kept version of the one above.
        const nested = (levels: number) => {
            let version: unknown[] = [m("leaf")];
            for (let level = 0; level < levels; level++)
                version = [m(`q${level}`, "user"), m(`a${level}`, "assistant", {alternatives: [version], alternativeIndex: 1})];
            return version;
        };
        expect(() => saveConversation(db, {...conversation, messages: nested(101)})).toThrow(/more than 100 deep/);
        // Nothing refused was stored.
        expect(listConversations(db)[0]!.messages.map((x) => x.id)).toEqual(["q1b"]);
        const deepest = {...conversation, messages: nested(100) as ConversationRecord["messages"]};
        expect(saveConversation(db, {...deepest, baseUpdatedAt: t}).conflict).toBeUndefined();
        expect(listConversations(db)).toEqual([deepest]);
    });

    it("takes a version switch or an edit from a window that is up to date, and never drops another window's version", () => {
        const t = conversation.updatedAt;
        const reply = (id: string) => ({id, role: "assistant" as const, content: id, createdAt: t});
        const q1 = conversation.messages[0]!;
        const first = {...conversation, messages: [q1, reply("a1")]};
        saveConversation(db, first);
        // Browser A edits the question (a new version) from the stored copy, then switches back: both taken.
        const edited = {
            ...first,
            updatedAt: t + 10,
            messages: [{id: "q1b", role: "user" as const, content: "Edited", createdAt: t, alternatives: [first.messages], alternativeIndex: 1}]
        };
        expect(saveConversation(db, {...edited, baseUpdatedAt: t}).conflict).toBeUndefined();
        const switched = {
            ...first,
            updatedAt: t + 20,
            messages: [{...q1, alternatives: [[{id: "q1b", role: "user" as const, content: "Edited", createdAt: t}]], alternativeIndex: 0}, reply("a1")]
        };
        expect(saveConversation(db, {...switched, baseUpdatedAt: t + 10}).conflict).toBeUndefined();
        expect(listConversations(db)).toEqual([switched]);
        // Browser B, still on the first save, answers again on the old version: that would drop A's edit.
        const stale = {...first, updatedAt: t + 30, messages: [...first.messages, {...reply("q2"), role: "user" as const}]};
        expect(saveConversation(db, {...stale, baseUpdatedAt: t})).toEqual({id: "c-1", updatedAt: t + 20, conflict: switched});
        // B, behind as well, showing the edited version: it holds every stored message, so nothing is dropped.
        const shownThere = {...edited, updatedAt: t + 40};
        expect(saveConversation(db, {...shownThere, baseUpdatedAt: t}).conflict).toBeUndefined();
        expect(listConversations(db)[0]!.messages.map((m) => m.id)).toEqual(["q1b"]);
    });

    it("keeps profiles' groups in step with the live settings and settings.json", () => {
        const settings: Settings = structuredClone(defaultSettings);
        const deps = {db, settings, dataDir};
        expect(saveProfile(deps, {name: "Nurse", group: "ward-3"})).toEqual([{name: "Nurse", group: "ward-3"}]);
        expect(settings.sharing.groups).toEqual({Nurse: "ward-3"});
        expect(loadSettings(dataDir).sharing.groups).toEqual({Nurse: "ward-3"});
        expect(() => saveProfile(deps, {name: "admin"})).toThrow(AdminError);
        expect(deleteProfile(deps, {name: "Nurse"})).toEqual([]);
        expect(listProfiles(deps)).toEqual([]);
        expect(settings.sharing.groups).toEqual({});
    });

    /** What the profile and settings operations use, over live settings and a real settings.json. */
    function groupsDeps() {
        const settings: Settings = structuredClone(defaultSettings);
        const deps = {
            db,
            settings,
            dataDir,
            apiKey: "kvs-test-key",
            apiServer: () => undefined,
            models: {loaded: () => undefined, gpuBackends: () => undefined},
            cache: () => undefined,
            log: silentLogger
        } as unknown as SettingsDeps & {db: AppDb};
        return {settings, deps};
    }

    it("lists a profile's group from sharing.groups, so a change of the groups in the settings shows there (a)", async () => {
        const {settings, deps} = groupsDeps();
        saveProfile(deps, {name: "nurse1", group: "ward1"});
        // The admin's Groups box: `nurse1 = ward2`, saved (whole, as an API client may).
        await patchSettings(deps, {sharing: {groups: {nurse1: "ward2"}}});
        expect(settings.sharing.groups).toEqual({nurse1: "ward2"});
        expect(listProfiles(deps)).toEqual([{name: "nurse1", group: "ward2"}]);
        // Out of the groups: in no group, as its requests are.
        await patchSettings(deps, {sharing: {groups: {}}});
        expect(listProfiles(deps)).toEqual([{name: "nurse1"}]);
        // A group kept in the table by an older version, which the settings no longer hold, is not shown.
        db.get().prepare("UPDATE profiles SET grp = 'ward1'").run();
        expect(listProfiles(deps)).toEqual([{name: "nurse1"}]);
        // Regrouping from the sidebar writes the groups, and only them.
        expect(saveProfile(deps, {name: "nurse1", group: "ward3"})).toEqual([{name: "nurse1", group: "ward3"}]);
        expect(loadSettings(dataDir).sharing.groups).toEqual({nurse1: "ward3"});
    });

    it("keeps a group line added while the panel was open: a groups change made over older groups applies only its own lines (b)", async () => {
        const {settings, deps} = groupsDeps();
        saveProfile(deps, {name: "nurse1", group: "ward1"});
        const panel = getSettings(deps).sharing.groups;
        // Meanwhile, from the sidebar: a new profile with a group.
        saveProfile(deps, {name: "teacher1", group: "class7"});
        // The panel, still showing the groups it read, adds an unrelated line and saves them.
        const saved = await patchSettings(deps, {sharing: {groups: {...panel, lab: "night"}}, baseGroups: panel});
        const expected = {nurse1: "ward1", teacher1: "class7", lab: "night"};
        expect(saved.sharing.groups).toEqual(expected);
        expect(settings.sharing.groups).toEqual(expected);
        expect(loadSettings(dataDir).sharing.groups).toEqual(expected);
        expect(listProfiles(deps)).toEqual([
            {name: "nurse1", group: "ward1"},
            {name: "teacher1", group: "class7"}
        ]);
        // A line removed or regrouped in the panel is, when no one changed it meanwhile.
        const read = getSettings(deps).sharing.groups;
        await patchSettings(deps, {sharing: {groups: {nurse1: "ward2", teacher1: "class7"}}, baseGroups: read});
        expect(settings.sharing.groups).toEqual({nurse1: "ward2", teacher1: "class7"});
    });

    it("refuses, with a 409 naming the line, a groups change made over a line that was changed differently meanwhile", async () => {
        const {settings, deps} = groupsDeps();
        saveProfile(deps, {name: "nurse1", group: "ward1"});
        saveProfile(deps, {name: "teacher1", group: "class7"});
        const panel = getSettings(deps).sharing.groups;
        saveProfile(deps, {name: "nurse1", group: "ward4"});
        deleteProfile(deps, {name: "teacher1"});
        const file = loadSettings(dataDir).sharing.groups;
        const refused = patchSettings(deps, {sharing: {groups: {nurse1: "ward3", teacher1: "class8"}, topK: 3}, baseGroups: panel});
        await expect(refused).rejects.toMatchObject({
            kind: "conflict",
            code: "groups_changed",
            param: "sharing.groups",
            message:
                "sharing.groups changed after the copy this change was made on was read: nurse1 was moved from ward1 to ward4 meanwhile, and this change puts them in ward3; " +
                "teacher1 was taken out of class7 meanwhile, and this change puts them in class8. Nothing was saved: read the settings again and make the change over the groups as they are now."
        });
        // Nothing was saved, not even the other setting.
        expect(settings.sharing.groups).toEqual({nurse1: "ward4"});
        expect(settings.sharing.topK).toBe(defaultSettings.sharing.topK);
        expect(loadSettings(dataDir).sharing.groups).toEqual(file);
        // The same change made on both sides is no conflict; a malformed base is a 400.
        await patchSettings(deps, {sharing: {groups: {nurse1: "ward4"}}, baseGroups: panel});
        expect(settings.sharing.groups).toEqual({nurse1: "ward4"});
        await expect(patchSettings(deps, {sharing: {groups: {}}, baseGroups: ["nurse1"]})).rejects.toMatchObject({kind: "invalid_input", param: "baseGroups"});
    });

    it("issues and revokes keys; refuses a purge while no model is loaded, before revoking", () => {
        const keys = KeyStore.inDataDir(dataDir);
        const deps = {
            keys,
            log: silentLogger,
            requestLog: new RequestLog({db: () => db.get(), retentionDays: () => 30, replayShare: () => 0}),
            cache: () => undefined
        };
        const {entry} = createKey(deps, {name: "lab-app"});
        expect(() => createKey(deps, {name: "lab-app"})).toThrow(expect.objectContaining({kind: "conflict", code: "key_name_taken"}) as Error);
        expect(() => revokeKey(deps, {id: entry.id, purge: "true"})).toThrow(expect.objectContaining({kind: "unavailable", retryAfterSeconds: 5}) as Error);
        expect(listKeys(deps).map((k) => k.id)).toEqual([entry.id]);
        expect(revokeKey(deps, {id: entry.id})).toEqual([]);
        expect(() => revokeKey(deps, {id: entry.id})).toThrow(expect.objectContaining({kind: "not_found"}) as Error);
    });

    it("estimates the prefill time reuse saved from this machine's requests served without reuse: a token at the line's slope", () => {
        const now = 1_750_000_060_000;
        const request = (at: number, over: Partial<RequestLogEntry>): RequestLogEntry => ({
            at: now - at,
            user: "u",
            scope: "global",
            mode: "none",
            promptTokens: 100,
            reusedTokens: 0,
            completionTokens: 1,
            ttftMs: 0,
            ...over
        });
        const logged = [
            // Without reuse: TTFT less queue wait and admission is 30 ms + 1 ms per prompt token (130, 230, 80 and 430 ms).
            request(50_000, {
                promptTokens: 100,
                ttftMs: 150,
                queueMs: 10,
                stages: {embed_ms: 5, retrieve_ms: 3, align_ms: 2, restore_ms: 0, edit_ms: 0, compute_ms: 0}
            }),
            request(45_000, {promptTokens: 200, ttftMs: 260, stages: {embed_ms: 10, retrieve_ms: 10, align_ms: 10, restore_ms: 0, edit_ms: 0, compute_ms: 0}}),
            request(40_000, {promptTokens: 50, ttftMs: 100, queueMs: 20}),
            request(35_000, {promptTokens: 400, ttftMs: 430}),
            // With reuse: 250 and 60 tokens not computed.
            request(25_000, {mode: "semantic", promptTokens: 300, reusedTokens: 250, ttftMs: 40, donorId: 7}),
            request(5_000, {mode: "prefix", promptTokens: 100, reusedTokens: 60, ttftMs: 50}),
            // Another scope's, on the same machine: it prices every scope's reused tokens alike.
            request(4_000, {scope: "user:ann", promptTokens: 300, ttftMs: 330}),
            // A scope whose requests all reused KV.
            request(3_000, {scope: "user:bo", mode: "prefix", promptTokens: 100, reusedTokens: 90, ttftMs: 9})
        ];
        const statsOf = (requestLog: RequestLog, scope?: string, more: {since?: number; ownPrefill?: boolean} = {}) =>
            cacheStats(
                {
                    requestLog,
                    qualityChecks: new QualityStore(() => db.get()),
                    cache: () => undefined,
                    settings: structuredClone(defaultSettings),
                    monitorShare: () => 0
                },
                {bucketMs: 10_000, ...(scope == null ? {} : {scope}), ...more},
                now
            );

        const persisted = new RequestLog({db: () => db.get(), retentionDays: () => 30, replayShare: () => 0});
        const memoryOnly = new RequestLog({db: () => undefined, retentionDays: () => 30, replayShare: () => 0});
        for (const entry of logged) {
            persisted.add(entry);
            memoryOnly.add(entry);
        }
        for (const log of [persisted, memoryOnly]) {
            const global = statsOf(log, "global");
            // The slope: 1 ms a token (the mean rate, 1.1 to 1.6 ms, charged the 30 ms a prefill takes anyway to its tokens).
            expect(global.prefill).toEqual({msPerToken: expect.closeTo(1, 9) as number, fixedMs: expect.closeTo(30, 6) as number, requests: 5});
            expect(global.totals.timeSavedMs).toBeCloseTo(310, 6);
            const saved = global.buckets.filter((b) => b.reusedTokens > 0).map((b) => [b.reusedTokens, b.timeSavedMs]);
            expect(saved).toHaveLength(2);
            expect(saved[0]![1]).toBeCloseTo(250, 6);
            expect(saved[1]![1]).toBeCloseTo(60, 6);
            expect(global.buckets.filter((b) => b.reusedTokens === 0).every((b) => b.timeSavedMs === 0)).toBe(true);
            // Every scope's view prices a token alike: the whole is the sum of the scopes' time saved.
            const all = statsOf(log);
            expect(all.prefill).toEqual(global.prefill);
            const hitsOnly = statsOf(log, "user:bo");
            expect(hitsOnly.totals).toMatchObject({requests: 1, reusedTokens: 90});
            expect(hitsOnly.totals.timeSavedMs).toBeCloseTo(90, 6);
            expect(all.totals.timeSavedMs).toBeCloseTo(global.totals.timeSavedMs! + hitsOnly.totals.timeSavedMs!, 6);
            // A window without any request served without reuse has nothing to estimate from.
            const late = statsOf(log, undefined, {since: now - 3_500});
            expect(late.prefill).toEqual({msPerToken: null, fixedMs: null, requests: 0});
            expect(late.totals).toMatchObject({reusedTokens: 90, timeSavedMs: null});
            expect(late.buckets.every((b) => b.timeSavedMs === null)).toBe(true);
            // A key holder's own view fits its scope's requests alone: ann's one request, a rate through the origin.
            const own = statsOf(log, "user:ann", {ownPrefill: true});
            expect(own.prefill).toEqual({msPerToken: expect.closeTo(330 / 300, 9) as number, fixedMs: 0, requests: 1});
        }
        persisted.flush();
    });
});
