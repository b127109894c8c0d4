/**
 * A chat open in two windows, both changing its settings: the real server on the tiny model, over HTTP, the
 * way the renderer saves (PUT /kvshare/conversations/{id} with the version and settings it grew from).
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ConversationRecord, ConversationSettings, SaveConversationResult} from "../../shared/admin.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;

beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const start = Date.UTC(2025, 0, 2);

function chat(id: string): ConversationRecord {
    return {
        id,
        title: "Lily's ball",
        profile: "Nurse",
        systemPrompt: "",
        params: {temperature: 0.7, max_tokens: 256},
        createdAt: start,
        updatedAt: start,
        messages: [{id: `${id}-q`, role: "user", content: "Lily had a red ball", createdAt: start}]
    };
}

const settingsOf = (c: ConversationSettings): ConversationSettings => ({title: c.title, systemPrompt: c.systemPrompt, params: c.params});

async function save(body: ConversationRecord & {baseUpdatedAt?: number; baseSettings?: ConversationSettings}): Promise<SaveConversationResult> {
    const res = await server.api(`/kvshare/conversations/${body.id}`, {method: "PUT", json: body});
    expect(res.status).toBe(200);
    return (await res.json()) as SaveConversationResult;
}

/** A window's save of its copy: `read` as it read it from the server, with `change` made in that window. */
const saveFrom = (read: ConversationRecord, change: Partial<ConversationRecord>, updatedAt: number) =>
    save({...read, ...change, updatedAt, baseUpdatedAt: read.updatedAt, baseSettings: settingsOf(read)});

async function storedChat(id: string): Promise<ConversationRecord> {
    const res = await server.api("/kvshare/conversations");
    return ((await res.json()) as ConversationRecord[]).find((c) => c.id === id)!;
}

describe("a chat's settings saved from two windows that read the same version", () => {
    it("keeps both changes where they changed different settings; the later save hears what the other changed", async () => {
        const read = chat("two-fields");
        await save(read);
        // Window A renames and sets the temperature; window B, still on the version both read, writes a system prompt
        // and sets max tokens.
        const a = await saveFrom(read, {title: "The red ball", params: {...read.params, temperature: 0.2}}, start + 100);
        expect(a).toEqual({id: "two-fields", updatedAt: start + 100});
        const b = await saveFrom(read, {systemPrompt: "Answer in rhyme.", params: {...read.params, max_tokens: 64}}, start + 200);
        const both = {title: "The red ball", systemPrompt: "Answer in rhyme.", params: {temperature: 0.2, max_tokens: 64}, pinned: false};
        expect(b).toEqual({id: "two-fields", updatedAt: start + 200, settings: both});
        const {pinned: _unpinned, ...stored} = both;
        expect(await storedChat("two-fields")).toMatchObject({...stored, updatedAt: start + 200});
    });

    it("takes the later save's value of a setting both changed, and keeps the earlier one's other changes", async () => {
        const read = chat("one-field");
        await save(read);
        await saveFrom(read, {title: "Named in A", systemPrompt: "Be brief."}, start + 100);
        const b = await saveFrom(read, {title: "Named in B"}, start + 200);
        expect(b.settings).toEqual({title: "Named in B", systemPrompt: "Be brief.", params: read.params, pinned: false});
        expect(await storedChat("one-field")).toMatchObject({title: "Named in B", systemPrompt: "Be brief."});
        // A's next save, grown from what it read back then, changes nothing it did not change: B's name stays.
        const a = await saveFrom(
            {...read, title: "Named in A", systemPrompt: "Be brief.", updatedAt: start + 100},
            {params: {...read.params, max_tokens: 32}},
            start + 300
        );
        expect(a.settings).toMatchObject({title: "Named in B", params: {max_tokens: 32}});
        expect(await storedChat("one-field")).toMatchObject({title: "Named in B", systemPrompt: "Be brief.", params: {max_tokens: 32}});
    });

    it("saves an old app's copy, which says nothing of the settings it read, whole as before", async () => {
        const read = chat("old-app");
        await save(read);
        await saveFrom(read, {title: "Named in A"}, start + 100);
        const old = await save({...read, systemPrompt: "Be brief.", updatedAt: start + 200, baseUpdatedAt: read.updatedAt});
        expect(old).toEqual({id: "old-app", updatedAt: start + 200});
        expect(await storedChat("old-app")).toMatchObject({title: "Lily's ball", systemPrompt: "Be brief."});
    });

    it("refuses settings it cannot read as the base", async () => {
        const read = chat("bad-base");
        const res = await server.api("/kvshare/conversations/bad-base", {
            method: "PUT",
            json: {...read, baseSettings: {title: "x", params: {temperature: "hot"}}}
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as {error: {param: string}}).error.param).toBe("baseSettings.params.temperature");
    });
});
