/**
 * A message deleted from a chat open in two windows: the real server on the tiny model, over HTTP, the way the
 * renderer saves (PUT /kvshare/conversations/{id} with the version it grew from and the ids it deleted).
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ConversationRecord, SaveConversationResult, StoredMessageRecord} from "../../shared/admin.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;

beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const start = Date.UTC(2025, 0, 2);
const message = (id: string, at: number, extra: Partial<StoredMessageRecord> = {}): StoredMessageRecord => ({
    id,
    role: id.startsWith("q") ? "user" : "assistant",
    content: `text of ${id}`,
    createdAt: start + at,
    ...extra
});

function chat(id: string, messages: StoredMessageRecord[]): ConversationRecord {
    return {id, title: "Clinic hours", profile: "Nurse", systemPrompt: "", params: {}, createdAt: start, updatedAt: start + 100, messages};
}

type Save = ConversationRecord & {baseUpdatedAt?: number};

async function put(body: Save | Record<string, unknown>): Promise<Response> {
    return server.api(`/kvshare/conversations/${String(body.id)}`, {method: "PUT", json: body});
}

async function save(body: Save): Promise<SaveConversationResult> {
    const res = await put(body);
    expect(res.status).toBe(200);
    return (await res.json()) as SaveConversationResult;
}

async function stored(id: string): Promise<ConversationRecord | undefined> {
    const res = await server.api("/kvshare/conversations");
    return ((await res.json()) as ConversationRecord[]).find((c) => c.id === id);
}

const ids = (c: ConversationRecord | undefined) => c?.messages.map((m) => m.id);

describe("a deleted message", () => {
    it("stays deleted when a window that read the chat before saves its copy; that window hears which were deleted", async () => {
        const read = chat("two-windows", [message("q1", 10), message("a1", 20), message("q2", 30), message("a2", 40)]);
        await save(read);
        // Window A deletes the first answer.
        const a = await save({
            ...read,
            updatedAt: start + 200,
            messages: read.messages.filter((m) => m.id !== "a1"),
            deletedMessageIds: ["a1"],
            baseUpdatedAt: read.updatedAt
        });
        expect(a).toEqual({id: "two-windows", updatedAt: start + 200});
        expect(ids(await stored("two-windows"))).toEqual(["q1", "q2", "a2"]);
        expect((await stored("two-windows"))?.deletedMessageIds).toEqual(["a1"]);
        // Window B, still on the version both read, asks a question: its save is taken, without the deleted answer.
        const b = await save({...read, updatedAt: start + 300, messages: [...read.messages, message("q3", 250)], baseUpdatedAt: read.updatedAt});
        expect(b).toEqual({id: "two-windows", updatedAt: start + 300, deletedMessageIds: ["a1"]});
        expect(ids(await stored("two-windows"))).toEqual(["q1", "q2", "a2", "q3"]);
        // A copy that lacks a message it did not delete (B's question) would lose it: refused, as before.
        const late = await save({
            ...read,
            updatedAt: start + 400,
            messages: [message("q1", 10)],
            deletedMessageIds: ["a1", "q2", "a2"],
            baseUpdatedAt: start + 200
        });
        expect(late.conflict?.messages.map((m) => m.id)).toEqual(["q1", "q2", "a2", "q3"]);
        expect(late.conflict?.deletedMessageIds).toEqual(["a1"]);
    });

    it("is taken out of a version not shown too, and a deleted head leaves its versions to the message after it", async () => {
        // q1 was edited into q1b (shown); the first version [q1, a1] is kept.
        const read = chat("versions", [message("q1b", 30, {alternatives: [[message("q1", 10), message("a1", 20)]], alternativeIndex: 1}), message("a1b", 40)]);
        await save(read);
        await save({
            ...read,
            updatedAt: start + 200,
            messages: [message("q1b", 30, {alternatives: [[message("q1", 10)]], alternativeIndex: 1}), message("a1b", 40)],
            deletedMessageIds: ["a1"],
            baseUpdatedAt: read.updatedAt
        });
        // A window that read it before deletes the edited question: the server's copy has lost neither deletion.
        const b = await save({
            ...read,
            updatedAt: start + 300,
            messages: [message("a1b", 40, {alternatives: [[message("q1", 10), message("a1", 20)]], alternativeIndex: 1})],
            deletedMessageIds: ["q1b"],
            baseUpdatedAt: read.updatedAt
        });
        expect(b.deletedMessageIds?.sort()).toEqual(["a1", "q1b"]);
        const kept = await stored("versions");
        expect(ids(kept)).toEqual(["a1b"]);
        expect(kept?.messages[0]?.alternatives?.map((v) => v.map((m) => m.id))).toEqual([["q1"]]);
        expect(kept?.messages[0]?.alternativeIndex).toBe(1);
    });

    it("leaves a chat whose every message was deleted empty, listed, and holding none of them", async () => {
        const read = chat("emptied", [message("q1", 10), message("a1", 20)]);
        await save(read);
        await save({...read, updatedAt: start + 200, messages: [], deletedMessageIds: ["q1", "a1"], baseUpdatedAt: read.updatedAt});
        const again = await save({...read, updatedAt: start + 300, baseUpdatedAt: read.updatedAt});
        expect(again.deletedMessageIds).toEqual(["q1", "a1"]);
        expect(await stored("emptied")).toMatchObject({messages: [], deletedMessageIds: ["q1", "a1"]});
    });

    it("keeps the most recent 5000 deleted ids, and refuses a save sending more", async () => {
        const many = Array.from({length: 5000}, (_, i) => `old-${i}`);
        const read = chat("many-deleted", [message("q1", 10), message("a1", 20)]);
        await save({...read, deletedMessageIds: many});
        const b = await save({
            ...read,
            updatedAt: start + 200,
            messages: [message("q1", 10)],
            // As the page sends them once it deleted one more: the most recent 5000.
            deletedMessageIds: [...many.slice(1), "a1"],
            baseUpdatedAt: read.updatedAt
        });
        expect(b.deletedMessageIds).toBeUndefined();
        const kept = (await stored("many-deleted"))!.deletedMessageIds!;
        expect(kept).toHaveLength(5000);
        expect(kept.at(-1)).toBe("a1");
        expect(kept[0]).toBe("old-1");
        const res = await put({...read, updatedAt: start + 300, deletedMessageIds: [...many, "a1", "x"]});
        expect(res.status).toBe(400);
        expect(((await res.json()) as {error: {param: string; message: string}}).error).toMatchObject({
            param: "deletedMessageIds",
            message: expect.stringMatching(/at most 5000/)
        });
    });

    it("refuses deleted ids that are not a list of message ids with a 400 naming the field", async () => {
        for (const [deletedMessageIds, param] of [
            ["a1", "deletedMessageIds"],
            [["ok", 7], "deletedMessageIds[1]"],
            [["has space"], "deletedMessageIds[0]"]
        ] as const) {
            const res = await put({...chat("bad-ids", [message("q1", 10)]), deletedMessageIds});
            expect(res.status).toBe(400);
            const body = (await res.json()) as {error: {type: string; param: string; message: string}};
            expect(body.error).toMatchObject({type: "invalid_request_error", param});
        }
        expect(await stored("bad-ids")).toBeUndefined();
    });
});
