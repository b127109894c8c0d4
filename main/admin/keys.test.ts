import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ApiKeyInfo, CreatedApiKey} from "../../shared/admin.js";
import {startTestServer, type TestServer} from "../../test/support/testServer.js";
import {runAdminOp} from "./operations.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const withKey = (key: string, pathname: string, init: RequestInit = {}) =>
    fetch(server.url + pathname, {...init, headers: {authorization: `Bearer ${key}`, ...(init.body != null ? {"content-type": "application/json"} : {})}});

describe("API keys in the settings panel", () => {
    it("issues a key shown once, lists it without its hash, and the key works on the OpenAI routes only", async () => {
        const response = await server.api("/kvshare/keys", {method: "POST", json: {name: "reception", group: "front-desk"}});
        expect(response.status).toBe(200);
        const created = (await response.json()) as CreatedApiKey;
        expect(created.key.length).toBeGreaterThan(20);
        expect(created.entry).toEqual({
            id: expect.stringMatching(/^[0-9a-f]+$/),
            name: "reception",
            group: "front-desk",
            hint: created.key.slice(0, 8),
            createdAt: expect.any(String)
        });
        expect(Object.keys(created.entry)).not.toContain("hash");

        const listed = await (await server.api("/kvshare/keys")).text();
        expect(JSON.parse(listed)).toEqual([created.entry]);
        expect(listed).not.toContain(created.key);
        expect(listed).not.toContain("hash");
        // Only the hash is on disk.
        expect(fs.readFileSync(path.join(server.dataDir, "keys.json"), "utf8")).not.toContain(created.key);

        expect((await withKey(created.key, "/v1/models")).status).toBe(200);
        for (const [pathname, method] of [
            ["/kvshare/settings", "GET"],
            ["/kvshare/keys", "GET"],
            ["/kvshare/keys", "POST"],
            [`/kvshare/keys/${created.entry.id}`, "DELETE"]
        ] as const) {
            const denied = await withKey(created.key, pathname, {method, ...(method === "POST" ? {body: JSON.stringify({name: "sneaky"})} : {})});
            expect(denied.status, `${method} ${pathname}`).toBe(403);
        }
        expect(runAdminOp(server.core.admin, "listKeys", {}).map((k) => k.name)).toEqual(["reception"]);
    });

    it("refuses reserved names and bad characters with a 400 and the key store's message", async () => {
        for (const [json, param, pattern] of [
            [{name: "admin"}, "name", /'admin' is reserved/],
            [{name: "Anonymous"}, "name", /reserved/],
            [{name: "front desk"}, "name", /1-64 letters, digits/],
            [{name: "ok", group: "ward 3"}, "group", /A group name must be 1-64/],
            [{}, "name", /'name' must be a non-empty string/]
        ] as const) {
            const response = await server.api("/kvshare/keys", {method: "POST", json});
            expect(response.status, JSON.stringify(json)).toBe(400);
            const body = (await response.json()) as {error: {message: string; type: string; param: string}};
            expect(body.error).toMatchObject({type: "invalid_request_error", param});
            expect(body.error.message).toMatch(pattern);
        }
        // A POST without any body is a missing name too, not a crash.
        expect((await server.api("/kvshare/keys", {method: "POST"})).status).toBe(400);
        expect(() => runAdminOp(server.core.admin, "createKey", {name: "admin"})).toThrow(/reserved/);
        expect(runAdminOp(server.core.admin, "listKeys", {}).map((k) => k.name)).toEqual(["reception"]);
    });

    it("revokes a key: it gets 401 at once; an unknown id is a 404", async () => {
        const {key, entry} = runAdminOp(server.core.admin, "createKey", {name: "lab-app", group: ""});
        expect(entry.group).toBeUndefined();
        expect((await withKey(key, "/v1/models")).status).toBe(200);
        const response = await server.api(`/kvshare/keys/${entry.id}`, {method: "DELETE"});
        expect(response.status).toBe(200);
        expect(((await response.json()) as ApiKeyInfo[]).map((k) => k.name)).toEqual(["reception"]);
        expect((await withKey(key, "/v1/models")).status).toBe(401);
        expect((await server.api(`/kvshare/keys/${entry.id}`, {method: "DELETE"})).status).toBe(404);
        expect((await server.api("/kvshare/keys/bad%20id", {method: "DELETE"})).status).toBe(400);
    });

    it("is for the app's own key only", async () => {
        expect((await server.api("/kvshare/keys", {noAuth: true})).status).toBe(401);
        expect((await server.api("/kvshare/keys", {method: "POST", json: {name: "x"}, noAuth: true})).status).toBe(401);
    });
});
