import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {AdminSettings} from "../../shared/admin.js";
import {startTestServer, testApiKey, type TestServer} from "../../test/support/testServer.js";
import {silentLogger} from "../common/log.js";
import {createApiServer, createCore} from "../app/startServer.js";
import {runAdminOp} from "./operations.js";
import {freePort} from "../../test/support/freePort.js";

/** A port held by another listener until `release`. */
async function busyPort(): Promise<{port: number; release: () => Promise<void>}> {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    return {port: (holder.address() as net.AddressInfo).port, release: () => new Promise<void>((resolve) => holder.close(() => resolve()))};
}

const get = (url: string, pathname: string) => fetch(url + pathname, {headers: {authorization: `Bearer ${testApiKey}`}});
const patch = (url: string, json: unknown) =>
    fetch(`${url}/kvshare/settings`, {
        method: "PATCH",
        headers: {authorization: `Bearer ${testApiKey}`, "content-type": "application/json"},
        body: JSON.stringify(json)
    });
const fileApi = (dataDir: string) =>
    (JSON.parse(fs.readFileSync(path.join(dataDir, "settings.json"), "utf8")) as {api: {host: string; port: number; enabled: boolean}}).api;

describe("API server settings, headless (the server also serves the UI)", () => {
    let server: TestServer;
    /** Where the server listens now (it moves during these tests). */
    let url: string;
    beforeAll(async () => {
        server = await startTestServer();
        url = server.url;
    });
    afterAll(async () => {
        await server.close();
    });

    it("reports the bound URL and that it serves the page; only auth and the key stay read-only", async () => {
        const settings = (await (await get(url, "/kvshare/settings")).json()) as AdminSettings;
        expect(settings.api).toMatchObject({url, servesUi: true, port: 0, host: "127.0.0.1", enabled: true});
        expect(settings.readOnly).toEqual(["api.auth", "api.key"]);
    });

    it("moves to a new port: answered from the old one with the new URL, reachable there, the old port closed", async () => {
        const port = await freePort();
        const old = url;
        const response = await patch(old, {api: {port}});
        expect(response.status).toBe(200);
        const settings = (await response.json()) as AdminSettings;
        expect(settings.api).toMatchObject({port, url: `http://127.0.0.1:${port}`});
        url = settings.api.url!;
        expect(server.core.apiServer?.url).toBe(url);

        expect((await get(url, "/v1/models")).status).toBe(200);
        const page = await fetch(`${url}/`);
        expect(page.status).toBe(200);
        await expect(fetch(`${old}/health`)).rejects.toThrow();
        expect(fileApi(server.dataDir).port).toBe(port);
    });

    it("keeps the old server when the new port is busy: 409 with the reason, nothing changed", async () => {
        const busy = await busyPort();
        try {
            const response = await patch(url, {api: {port: busy.port}});
            expect(response.status).toBe(409);
            const body = (await response.json()) as {error: {message: string; code: string; param: string}};
            expect(body.error).toMatchObject({code: "api_listen_failed", param: "api.port"});
            expect(body.error.message).toMatch(new RegExp(`port ${busy.port} is already in use`));
            expect((await get(url, "/v1/models")).status).toBe(200);
            expect(server.core.settings.api.port).not.toBe(busy.port);
            expect(fileApi(server.dataDir).port).not.toBe(busy.port);
        } finally {
            await busy.release();
        }
    });

    it("refuses to turn itself off in headless mode, and validates host and port", async () => {
        for (const [json, status, pattern] of [
            [{api: {enabled: false}}, 400, /in headless mode the API serves this page; stop the server instead/i],
            [{api: {port: 70_000}}, 400, /api.port must be between 0 and 65535/],
            [{api: {port: "8080"}}, 400, /api.port must be a number/],
            [{api: {host: "http://0.0.0.0"}}, 400, /api.host must be an IP address/],
            [{api: {host: "bad host"}}, 400, /api.host must be an IP address/],
            [{api: {auth: false}}, 400, /api.auth cannot be changed/]
        ] as const) {
            const response = await patch(url, json);
            expect(response.status, JSON.stringify(json)).toBe(status);
            expect(((await response.json()) as {error: {message: string}}).error.message).toMatch(pattern);
        }
        expect(server.core.settings.api.enabled).toBe(true);
        expect((await get(url, "/v1/models")).status).toBe(200);
    });

    it("moves to another host on the same port (the old listener is let go first)", async () => {
        const {port} = server.core.apiServer!.address!;
        const response = await patch(url, {api: {host: "localhost"}});
        expect(response.status).toBe(200);
        const settings = (await response.json()) as AdminSettings;
        expect(settings.api).toMatchObject({host: "localhost", port, url: `http://localhost:${port}`});
        url = settings.api.url!;
        expect((await get(url, "/v1/models")).status).toBe(200);
        const back = await patch(url, {api: {host: "127.0.0.1"}});
        expect(back.status).toBe(200);
        url = ((await back.json()) as AdminSettings).api.url!;
        expect((await get(url, "/v1/models")).status).toBe(200);
    });

    it("lets a request in flight on the old address finish after a move", async () => {
        const stream = fetch(`${url}/v1/completions`, {
            method: "POST",
            headers: {authorization: `Bearer ${testApiKey}`, "content-type": "application/json"},
            body: JSON.stringify({prompt: "Once upon a time", max_tokens: 200, stream: true, temperature: 0})
        });
        const first = await stream;
        expect(first.status).toBe(200);
        const moved = (await (await patch(url, {api: {port: await freePort()}})).json()) as AdminSettings;
        url = moved.api.url!;
        const text = await first.text();
        expect(text).toContain("data: [DONE]");
        expect((await get(url, "/health")).status).toBe(200);
    });
});

describe("API server settings in the Electron app (the window uses IPC)", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-api-electron-"));
    const {core} = createCore({dataDir, apiKey: testApiKey, log: silentLogger, overrides: {api: {port: 0}}});
    core.apiServer = createApiServer(core, false);
    afterAll(async () => {
        await core.apiServer?.stop(0);
        await core.dispose();
        fs.rmSync(dataDir, {recursive: true, force: true});
    });

    it("turns the API off and on again, live, and refuses a non-loopback host without auth", async () => {
        const url = await core.apiServer!.start();
        expect((await get(url, "/kvshare/settings")).status).toBe(200);

        const off = await runAdminOp(core.admin, "patchSettings", {api: {enabled: false}});
        expect(off.api).toMatchObject({enabled: false, url: null, servesUi: false});
        await expect(fetch(`${url}/health`)).rejects.toThrow();
        expect(fileApi(dataDir).enabled).toBe(false);

        const port = await freePort();
        const on = await runAdminOp(core.admin, "patchSettings", {api: {enabled: true, port}});
        expect(on.api).toMatchObject({enabled: true, port, url: `http://127.0.0.1:${port}`});
        expect((await get(on.api.url!, "/kvshare/settings")).status).toBe(200);

        // A busy port while off: nothing starts, nothing is saved.
        await runAdminOp(core.admin, "patchSettings", {api: {enabled: false}});
        const busy = await busyPort();
        try {
            await expect(runAdminOp(core.admin, "patchSettings", {api: {enabled: true, port: busy.port}})).rejects.toMatchObject({
                kind: "conflict",
                code: "api_listen_failed"
            });
            expect(core.settings.api.enabled).toBe(false);
            expect(core.apiServer!.running).toBe(false);
        } finally {
            await busy.release();
        }

        core.settings.api.auth = false;
        try {
            await expect(runAdminOp(core.admin, "patchSettings", {api: {host: "0.0.0.0"}})).rejects.toThrow(/only allowed on a loopback address/);
        } finally {
            core.settings.api.auth = true;
        }
    });
});
