import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import type {ConversationRecord} from "../../shared/admin.js";
import {startServer as spawnServer} from "../../e2e/server.js";
import {startTestServer} from "../support/testServer.js";

function conversation(id: string, turns: number): ConversationRecord {
    const now = Date.now();
    const messages = [];
    for (let i = 0; i < turns; i++) {
        messages.push({id: `${id}-u${i}`, role: "user" as const, content: `Question ${i} for ${id}: ` + "words ".repeat(200), createdAt: now});
        messages.push({id: `${id}-a${i}`, role: "assistant" as const, content: `Answer ${i}`, createdAt: now});
    }
    return {id, title: `Chat ${id}`, profile: "nurse", systemPrompt: "", params: {}, createdAt: now, updatedAt: now, messages};
}

describe("durability", () => {
    it("keeps every acknowledged conversation turn and an index that opens after SIGKILL during heavy writes", async () => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-kill-"));
        const server = await spawnServer({dataDir, needsUi: false});
        const key = new URL(server.url).hash.replace("#key=", "");
        const headers = {authorization: `Bearer ${key}`, "content-type": "application/json"};
        const acknowledged = new Map<string, number>();
        let stop = false;

        // Writers: conversations grow turn by turn; each 200 is an acknowledged turn.
        const writer = async (w: number) => {
            for (let turn = 1; !stop; turn++) {
                const id = `c${w}`;
                try {
                    const res = await fetch(`${server.origin}/kvshare/conversations/${id}`, {
                        method: "PUT",
                        headers,
                        body: JSON.stringify(conversation(id, turn))
                    });
                    if (res.status === 200) acknowledged.set(id, turn);
                } catch {
                    return; // the server died mid-request: that turn was not acknowledged
                }
            }
        };
        // Generations at the same time: the KV cache writes snapshots and index rows.
        const generator = async (g: number) => {
            for (let i = 0; !stop; i++) {
                try {
                    await fetch(`${server.origin}/v1/completions`, {
                        method: "POST",
                        headers,
                        body: JSON.stringify({prompt: `Once upon a time, there was a girl named Lily number ${g}-${i}. She liked to play.`, max_tokens: 8})
                    });
                } catch {
                    return;
                }
            }
        };
        const work = [0, 1, 2, 3].map(writer).concat([0, 1].map(generator));
        await new Promise((r) => setTimeout(r, 2500));
        await server.kill("SIGKILL");
        stop = true;
        await Promise.all(work);
        expect([...acknowledged.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(4);

        const restarted = await startTestServer({dataDir});
        try {
            const res = await restarted.api("/kvshare/conversations");
            expect(res.status).toBe(200);
            const saved = (await res.json()) as ConversationRecord[];
            for (const [id, turns] of acknowledged) {
                const found = saved.find((c) => c.id === id);
                expect(found, `conversation ${id}`).toBeDefined();
                expect(found!.messages.length).toBeGreaterThanOrEqual(turns * 2);
            }
            // The cache index opens, passed its consistency check, and serves.
            expect(restarted.core.cache!.count()).toBeGreaterThan(0);
            const served = await restarted.api("/v1/completions", {
                method: "POST",
                json: {prompt: "Once upon a time, there was a girl named Lily number 0-0. She liked to play.", max_tokens: 4}
            });
            expect(served.status).toBe(200);
        } finally {
            await restarted.close();
            fs.rmSync(dataDir, {recursive: true, force: true});
        }
    });
});
