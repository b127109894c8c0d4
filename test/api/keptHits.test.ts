/**
 * A chat keeps its answers' hit records without the donor's text: the real server on the tiny model, over HTTP,
 * the way the renderer saves and reads chats; and a chat saved by an earlier version, read back.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ConversationRecord} from "../../shared/admin.js";
import type {KvShareRecord} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const at = Date.UTC(2025, 0, 3);
const secret = "Patient Ann Moss, code ZQ-7731";
const hit: KvShareRecord = {
    mode: "semantic",
    prompt_tokens: 12,
    reused_tokens: 9,
    computed_tokens: 3,
    recomputed_tokens: 1,
    donor: {id: 4, similarity: 0.91, exact: false, prompt: secret, tokens: 14, tier: "memory"},
    prompt_pieces: ["Patient", " Bo"],
    donor_pieces: ["Patient", " Ann", " Moss"]
};

async function listed(id: string): Promise<ConversationRecord> {
    const res = await server.api("/kvshare/conversations", {method: "GET"});
    expect(res.status).toBe(200);
    return ((await res.json()) as ConversationRecord[]).find((c) => c.id === id)!;
}

describe("a saved chat's hit records", () => {
    it("keep the numbers and the prompt's own pieces, never the donor's text, in the versions too", async () => {
        const chat: ConversationRecord = {
            id: "kept-hits",
            title: "Bo",
            profile: "Nurse",
            systemPrompt: "",
            params: {},
            createdAt: at,
            updatedAt: at,
            messages: [
                {id: "q", role: "user", content: "Patient Bo", createdAt: at},
                {
                    id: "a2",
                    role: "assistant",
                    content: "second",
                    createdAt: at,
                    hit,
                    alternatives: [[{id: "a1", role: "assistant", content: "first", createdAt: at, hit}]],
                    alternativeIndex: 1
                }
            ]
        };
        const res = await server.api("/kvshare/conversations/kept-hits", {method: "PUT", json: chat});
        expect(res.status).toBe(200);
        const stored = await listed("kept-hits");
        expect(JSON.stringify(stored)).not.toContain("Ann");
        const answer = stored.messages[1]!;
        expect(answer.hit).toMatchObject({mode: "semantic", reused_tokens: 9, donor: {id: 4, similarity: 0.91}, prompt_pieces: ["Patient", " Bo"]});
        expect(answer.hit?.donor?.prompt).toBeUndefined();
        expect(answer.hit?.donor_pieces).toBeUndefined();
        expect(answer.alternatives?.[0]?.[0]?.hit?.donor).toMatchObject({id: 4});
    });

    it("lose the donor's text as they are read from a chat an earlier version saved with it", async () => {
        const db = server.core.db.get();
        db.prepare("INSERT INTO conversations (id, profile, title, system_prompt, params, created_at, updated_at) VALUES (?, ?, ?, '', '{}', ?, ?)").run(
            "old-chat",
            "Nurse",
            "Old",
            at,
            at
        );
        const insert = db.prepare(
            "INSERT INTO messages (conversation_id, id, position, role, content, created_at, hit, alternatives, alternative_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        insert.run("old-chat", "oq", 0, "user", "Patient Bo", at, null, null, null);
        const older = [[{id: "oa1", role: "assistant", content: "first", createdAt: at, hit}]];
        insert.run("old-chat", "oa2", 1, "assistant", "second", at, JSON.stringify(hit), JSON.stringify(older), 1);
        const read = await listed("old-chat");
        expect(JSON.stringify(read)).not.toContain("Ann");
        expect(read.messages[1]!.hit?.donor).toMatchObject({id: 4, tokens: 14});
    });
});
