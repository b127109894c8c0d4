import fs from "node:fs";
import Database from "better-sqlite3";
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatCompletion} from "../../shared/openai.js";
import {adminHttpRoutes} from "../../shared/admin.js";
import {KeyStore} from "../../main/config/apiKeys.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
let nurseKey: string;
let nurseKeyId: string;
let revokedKey: string;
beforeAll(async () => {
    server = await startTestServer({
        overrides: {
            sharing: {scopePolicy: "user"},
            limits: {maxConcurrentPerKey: 1, maxBodyBytes: 1 << 20, maxQueue: 16, queueTimeoutMs: 60_000, maxTokensCap: 4096, requestTimeoutMs: 60_000}
        }
    });
    const nurse = server.core.keys.create("nurse1", "ward-1");
    nurseKey = nurse.key;
    nurseKeyId = nurse.entry.id;
    const revoked = server.core.keys.create("gone");
    revokedKey = revoked.key;
    server.core.keys.revoke(revoked.entry.id);
});
afterAll(async () => {
    await server.close();
});

const chat = (key: string, user?: string, maxTokens = 4) =>
    fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
        body: JSON.stringify({messages: [{role: "user", content: "Once upon a time"}], max_tokens: maxTokens, user})
    });

describe("API keys per app or person", () => {
    it("stores only hashes of issued keys", () => {
        const stored = fs.readFileSync(`${server.dataDir}/keys.json`, "utf8");
        expect(stored).not.toContain(nurseKey);
        expect(stored).toContain("nurse1");
    });

    it("runs an issued key's requests as its owner, whatever `user` says", async () => {
        const res = await chat(nurseKey, "someone-else");
        expect(res.status).toBe(200);
        // Issued keys have their own namespace, by key id: never the scope of a desktop profile named alike.
        expect(((await res.json()) as ChatCompletion).x_kvshare.scope).toBe(`user:key/${nurseKeyId}`);
    });

    it("lets the app's own key act for a desktop profile", async () => {
        const res = await chat(server.apiKey, "student-7");
        expect(((await res.json()) as ChatCompletion).x_kvshare.scope).toBe("user:student-7");
    });

    it("keeps issued keys off the app's own routes (settings, every chat, donor texts)", async () => {
        for (const route of Object.values(adminHttpRoutes)) {
            const res = await fetch(`${server.url}${route.path}${route.key != null ? "x" : ""}`, {
                method: route.method,
                headers: {authorization: `Bearer ${nurseKey}`, "content-type": "application/json"},
                body: route.method === "GET" ? undefined : JSON.stringify({sharing: {scopePolicy: "global"}})
            });
            expect(res.status, `${route.method} ${route.path}`).toBe(403);
        }
        expect(server.core.settings.sharing.scopePolicy).toBe("user");
    });

    it("tells a key who it signs in as (the page offers an issued key the chat alone); no key, no answer", async () => {
        const whoami = async (key?: string) => {
            const res = await fetch(`${server.url}/kvshare/whoami`, {headers: key == null ? {} : {authorization: `Bearer ${key}`}});
            return {status: res.status, body: (await res.json()) as unknown};
        };
        expect(await whoami(nurseKey)).toEqual({status: 200, body: {app: false, name: "nurse1", group: "ward-1", keyRequired: true}});
        expect(await whoami(server.apiKey)).toEqual({status: 200, body: {app: true, name: "admin", group: null, keyRequired: true}});
        expect((await whoami()).status).toBe(401);
        expect((await whoami(revokedKey)).status).toBe(401);
    });

    it("never shows an issued key another prompt's text in the hit record", async () => {
        const other = server.core.keys.create("nurse2").key;
        const story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball.";
        const ask = async (key: string, content: string) => {
            const res = await fetch(`${server.url}/v1/chat/completions`, {
                method: "POST",
                headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
                body: JSON.stringify({messages: [{role: "user", content}], max_tokens: 4, x_kvshare_detail: true})
            });
            await server.core.requirePipeline().settled();
            return ((await res.json()) as ChatCompletion).x_kvshare;
        };
        await ask(other, story);
        const record = await ask(other, story.replace("Lily", "Sue"));
        expect(record.mode).toBe("semantic");
        expect(record.donor?.prompt).toBeUndefined();
        expect(record.donor_pieces).toBeUndefined();
        expect(record.prompt_pieces?.length).toBe(record.prompt_tokens);
        // Nor the stages' times: the search's grows with every scope's cached prompts.
        expect(record.stages).toBeUndefined();
        expect((await ask(server.apiKey, story)).stages?.retrieve_ms).toBeGreaterThanOrEqual(0);
    });

    it("gives a key issued under a former holder's name an empty scope of its own", async () => {
        const story = "Once upon a time, Tom told the nurse that his sister Mia had a fever and a cough since Monday night.";
        const ask = async (key: string) => {
            const res = await fetch(`${server.url}/v1/chat/completions`, {
                method: "POST",
                headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
                body: JSON.stringify({messages: [{role: "user", content: story}], max_tokens: 4})
            });
            expect(res.status).toBe(200);
            await server.core.requirePipeline().settled();
            return ((await res.json()) as ChatCompletion).x_kvshare;
        };
        const first = server.core.keys.create("alice");
        await ask(first.key);
        // The holder's own scope reuses the prompt (from its sequence or as an exact donor hit).
        expect((await ask(first.key)).reused_tokens).toBeGreaterThan(20);
        // While alice's key is live, a second "alice" is a conflict, not a silent twin.
        const twin = await server.api("/kvshare/keys", {method: "POST", json: {name: "alice"}});
        expect(twin.status).toBe(409);
        expect((await twin.json()).error.code).toBe("key_name_taken");
        // Revoked without purge, then re-issued to someone new: nothing of the first holder is reachable.
        expect((await server.api(`/kvshare/keys/${first.entry.id}`, {method: "DELETE"})).status).toBe(200);
        const created = await server.api("/kvshare/keys", {method: "POST", json: {name: "alice"}});
        expect(created.status).toBe(200);
        const second = (await created.json()) as {key: string};
        const record = await ask(second.key);
        expect(record.donor).toBeUndefined();
        expect(record.reused_tokens ?? 0).toBeLessThan(10);
    });

    it("purges a revoked key's cached prompts when asked", async () => {
        const {key, entry} = server.core.keys.create("leaver");
        const res = await fetch(`${server.url}/v1/completions`, {
            method: "POST",
            headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
            body: JSON.stringify({prompt: "Once upon a time, the leaver wrote a private note about the garden.", max_tokens: 2})
        });
        expect(res.status).toBe(200);
        await server.core.requirePipeline().settled();
        const scope = `user:key/${entry.id}`;
        const db = new Database(`${server.dataDir}/cache/kvshare-cache.db`, {readonly: true});
        const inScope = () => db.prepare("SELECT snapshot_file AS file FROM entries WHERE scope = ?").all(scope) as Array<{file: string}>;
        try {
            const cached = inScope();
            expect(cached.length).toBeGreaterThan(0);
            expect((await server.api(`/kvshare/keys/${entry.id}?purge=true`, {method: "DELETE"})).status).toBe(200);
            expect(inScope()).toEqual([]);
            for (const gone of cached) expect(fs.existsSync(`${server.dataDir}/cache/${gone.file}`)).toBe(false);
            // Nor is the text left in the index's files (free pages, the write-ahead log).
            for (const file of ["kvshare-cache.db", "kvshare-cache.db-wal"]) {
                const bytes = fs.existsSync(`${server.dataDir}/cache/${file}`) ? fs.readFileSync(`${server.dataDir}/cache/${file}`) : Buffer.alloc(0);
                expect(bytes.includes("leaver wrote a private note"), file).toBe(false);
            }
        } finally {
            db.close();
        }
    });

    it("purges what a revoked key sent into a shared scope too (the global policy puts everyone's prompts there), and only that", async () => {
        const sharing = server.core.settings.sharing;
        const saved = sharing.scopePolicy;
        sharing.scopePolicy = "global";
        const leaver = server.core.keys.create("leaver-global");
        const stayer = server.core.keys.create("stayer-global");
        const db = new Database(`${server.dataDir}/cache/kvshare-cache.db`, {readonly: true});
        try {
            for (const [key, prompt] of [
                [leaver.key, "Once upon a time, the departing nurse noted the patient's private history."],
                [stayer.key, "Once upon a time, the staying nurse planned the garden party for the ward."]
            ] as const) {
                const res = await fetch(`${server.url}/v1/completions`, {
                    method: "POST",
                    headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
                    body: JSON.stringify({prompt, max_tokens: 2})
                });
                expect(res.status).toBe(200);
            }
            await server.core.requirePipeline().settled();
            const stored = (text: string) =>
                db.prepare("SELECT scope, owner FROM entries WHERE prompt_text LIKE ?").all(`%${text}%`) as Array<{scope: string; owner: string}>;
            expect(stored("departing nurse")).toEqual([{scope: "global", owner: `key/${leaver.entry.id}`}]);
            expect(stored("staying nurse")).toHaveLength(1);

            expect((await server.api(`/kvshare/keys/${leaver.entry.id}?purge=true`, {method: "DELETE"})).status).toBe(200);
            expect(stored("departing nurse")).toEqual([]);
            expect(stored("staying nurse")).toHaveLength(1);
            for (const file of ["kvshare-cache.db", "kvshare-cache.db-wal"]) {
                const bytes = fs.existsSync(`${server.dataDir}/cache/${file}`) ? fs.readFileSync(`${server.dataDir}/cache/${file}`) : Buffer.alloc(0);
                expect(bytes.includes("departing nurse noted"), file).toBe(false);
            }
        } finally {
            db.close();
            sharing.scopePolicy = saved;
        }
    });

    it("keeps a purged scope empty, even of a request still being served when the purge ran", async () => {
        const {key, entry} = server.core.keys.create("leaver-2");
        const scope = `user:key/${entry.id}`;
        const running = fetch(`${server.url}/v1/completions`, {
            method: "POST",
            headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
            body: JSON.stringify({
                prompt: "Once upon a time, the second leaver wrote a long private note about the garden and the cat.",
                max_tokens: 400,
                temperature: 0
            })
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect((await server.api(`/kvshare/keys/${entry.id}?purge=true`, {method: "DELETE"})).status).toBe(200);
        // Stopped by the revocation (401), unless it had ended already.
        expect([200, 401]).toContain((await running).status);
        await server.core.requirePipeline().settled();
        const db = new Database(`${server.dataDir}/cache/kvshare-cache.db`, {readonly: true});
        try {
            expect(db.prepare("SELECT COUNT(*) AS n FROM entries WHERE scope = ?").get(scope)).toEqual({n: 0});
        } finally {
            db.close();
        }
    });

    it("stops a revoked key's running stream at once, revoked here or by another process, and tells its client why", async () => {
        for (const revokeBy of ["admin route", "another process"] as const) {
            const {key, entry} = server.core.keys.create(`streamer-${revokeBy === "admin route" ? "a" : "b"}`);
            const response = await fetch(`${server.url}/v1/chat/completions`, {
                method: "POST",
                headers: {authorization: `Bearer ${key}`, "content-type": "application/json"},
                // The end-of-text token held off: the answer runs to its limit unless it is stopped.
                body: JSON.stringify({messages: [{role: "user", content: "Once upon a time"}], max_tokens: 1800, stream: true, logit_bias: {"2": -100}})
            });
            expect(response.status).toBe(200);
            const reader = response.body!.getReader();
            const decoder = new TextDecoder();
            let text = decoder.decode((await reader.read()).value);
            const revokedAt = performance.now();
            if (revokeBy === "admin route") expect((await server.api(`/kvshare/keys/${entry.id}`, {method: "DELETE"})).status).toBe(200);
            else expect(KeyStore.inDataDir(server.dataDir).revoke(entry.id)).toBe(true);
            for (let read = await reader.read(); !read.done; read = await reader.read()) text += decoder.decode(read.value, {stream: true});
            const stoppedMs = performance.now() - revokedAt;
            const events = text
                .split("\n\n")
                .filter((event) => event.startsWith("data: {"))
                .map((event) => JSON.parse(event.slice(6)) as {error?: {code: string; type: string}; choices?: Array<{finish_reason: string | null}>});
            expect(events.at(-1)?.error, revokeBy).toMatchObject({code: "invalid_api_key", type: "authentication_error"});
            expect(
                events.some((event) => event.choices?.[0]?.finish_reason != null),
                "no finish of a whole answer"
            ).toBe(false);
            // Within the poll of the keys file (1 s) and a token's time, not the 1,800 tokens' end.
            expect(stoppedMs, revokeBy).toBeLessThan(revokeBy === "admin route" ? 1000 : 2500);
            expect(events.filter((event) => event.choices != null).length, revokeBy).toBeLessThan(1800);
        }
    });

    it("refuses reserved names for issued keys", () => {
        expect(() => server.core.keys.create("admin")).toThrow(/reserved/);
        expect(() => server.core.keys.create("anonymous")).toThrow(/reserved/);
    });

    it("stops accepting a key revoked by another process (the CLI) at once", async () => {
        const {key, entry} = server.core.keys.create("temp-app");
        expect((await chat(key)).status).toBe(200);
        await new Promise((r) => setTimeout(r, 20));
        expect(KeyStore.inDataDir(server.dataDir).revoke(entry.id)).toBe(true);
        expect((await chat(key)).status).toBe(401);
    });

    it("refuses a revoked key", async () => {
        const res = await chat(revokedKey);
        expect(res.status).toBe(401);
        const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: revokedKey, maxRetries: 0});
        await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it("limits concurrent requests per key with 429 + retry-after", async () => {
        const long = chat(nurseKey, undefined, 1500);
        await new Promise((r) => setTimeout(r, 20));
        const second = await chat(nurseKey);
        expect(second.status).toBe(429);
        expect(second.headers.get("retry-after")).toBe("1");
        expect(((await second.json()) as {error: {type: string}}).error.type).toBe("rate_limit_error");
        // Another key is not affected.
        expect((await chat(server.apiKey)).status).toBe(200);
        expect((await long).status).toBe(200);
    });

    it("while keys.json cannot be read, answers an issued key 503 without the file's path, and a token of no key 401", async () => {
        const file = `${server.dataDir}/keys.json`;
        const good = fs.readFileSync(file, "utf8");
        try {
            fs.writeFileSync(file, '[{"id":"abc", "na');
            const issued = await chat(nurseKey);
            expect(issued.status).toBe(503);
            const body = (await issued.json()) as {error: {code: string; message: string}};
            expect(body.error.code).toBe("keys_unavailable");
            expect(body.error.message).not.toContain(server.dataDir);
            expect((await chat("nonsense")).status).toBe(401);
            // The app's own key is not in that file: it goes on working, and the key list says what is wrong.
            expect((await chat(server.apiKey)).status).toBe(200);
            const list = await server.api("/kvshare/keys");
            expect(list.status).toBe(503);
            expect(((await list.json()) as {error: {code: string}}).error.code).toBe("keys_file_damaged");
        } finally {
            fs.writeFileSync(file, good);
        }
        expect((await chat(nurseKey)).status).toBe(200);
    });
});
