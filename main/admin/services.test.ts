import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {ConversationRecord} from "../../shared/admin.js";
import {silentLogger} from "../common/log.js";
import {KeyStore} from "../config/apiKeys.js";
import {defaultSettings, loadSettings, type Settings} from "../config/settings.js";
import {AppDb} from "./appDb.js";
import {deleteConversation, listConversations, saveConversation} from "./conversationsService.js";
import {AdminError} from "./errors.js";
import {createKey, listKeys, revokeKey} from "./keysService.js";
import {deleteProfile, listProfiles, saveProfile} from "./profilesService.js";
import {RequestLog} from "../insights/RequestLog.js";

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
});
