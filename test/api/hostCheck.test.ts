import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createCore} from "../../main/app/startServer.js";
import {silentLogger} from "../../main/common/log.js";
import {localInterfaceAddresses} from "../../main/config/addresses.js";
import {parseServeArgs} from "../../main/cliArgs.js";
import {rawRequest} from "../support/rawRequest.js";
import {startTestServer, testApiKey, type TestServer} from "../support/testServer.js";

/** Host headers a DNS-rebinding page would send, and spellings of loopback a string compare misses. */
const foreignHosts = ["evil.example", "evil.example.", "127.0.0.1.evil.example", "localhost.evil.example"];

describe("Host check and CORS on an IPv6 loopback spelled out in full, without auth", () => {
    let server: TestServer;
    let port: number;
    beforeAll(async () => {
        server = await startTestServer({overrides: {api: {host: "0:0:0:0:0:0:0:1", auth: false}}});
        port = server.core.apiServer?.address?.port ?? 0;
    });
    afterAll(() => server?.close());

    it("refuses a foreign Host even when its Origin matches it (no same-origin trust)", async () => {
        for (const name of foreignHosts) {
            const res = await rawRequest({host: "::1", port, path: "/kvshare/settings", headers: {host: `${name}:${port}`, origin: `http://${name}:${port}`}});
            expect(res.status, name).toBe(403);
            expect(res.headers["access-control-allow-origin"], name).toBeUndefined();
            expect(JSON.parse(res.body).error.code).toBe("host_not_allowed");
        }
    });

    it("tells a page that no key is asked for (nobody to sign out)", async () => {
        const res = await rawRequest({host: "::1", port, path: "/kvshare/whoami", headers: {host: `localhost:${port}`}});
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body)).toEqual({app: true, name: "anonymous", group: null, keyRequired: false});
    });

    it("serves loopback Host names in any spelling", async () => {
        for (const name of ["[::1]", "[0:0:0:0:0:0:0:1]", "localhost", "127.0.0.1", "[::ffff:127.0.0.1]"]) {
            const res = await rawRequest({host: "::1", port, path: "/v1/models", headers: {host: `${name}:${port}`}});
            expect(res.status, name).toBe(200);
        }
    });
});

describe("Host check on a wildcard bind (LAN)", () => {
    let server: TestServer;
    let port: number;
    beforeAll(async () => {
        server = await startTestServer({overrides: {api: {host: "0.0.0.0", allowedHosts: ["kvshare.clinic.lan"]}}});
        port = server.core.apiServer?.address?.port ?? 0;
    });
    afterAll(() => server?.close());

    const get = (host: string, origin?: string) =>
        rawRequest({
            host: "127.0.0.1",
            port,
            path: "/kvshare/settings",
            headers: {host: `${host}:${port}`, authorization: `Bearer ${testApiKey}`, ...(origin == null ? {} : {origin})}
        });

    it("refuses foreign names and serves this machine's addresses and the configured names", async () => {
        for (const name of foreignHosts) expect((await get(name, `http://${name}:${port}`)).status, name).toBe(403);
        for (const address of localInterfaceAddresses().filter((a) => !a.includes(":"))) expect((await get(address)).status, address).toBe(200);
        const named = await get("KVShare.Clinic.LAN", `http://kvshare.clinic.lan:${port}`);
        expect(named.status).toBe(200);
        expect(named.headers["access-control-allow-origin"]).toBe(`http://kvshare.clinic.lan:${port}`);
    });
});

describe("no API key off loopback is refused in every entry point", () => {
    it("CLI flags", () => {
        for (const host of ["0.0.0.0", "::", "192.168.1.20", "kvshare.lan"])
            expect(() => parseServeArgs(["--no-auth", "--host", host]), host).toThrow(/only allowed on a loopback address/);
        for (const host of ["127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "localhost"])
            expect(parseServeArgs(["--no-auth", "--host", host]).overrides?.api?.auth, host).toBe(false);
    });

    it("settings file or overrides, before anything listens", () => {
        expect(() => createCore({modelPath: "/nonexistent.gguf", log: silentLogger, overrides: {api: {host: "0.0.0.0", auth: false}}})).toThrow(
            /only allowed on a loopback address/
        );
    });

    it("settings panel", async () => {
        const server = await startTestServer({overrides: {api: {auth: false}}});
        try {
            const res = await server.api("/kvshare/settings", {method: "PATCH", json: {api: {host: "0.0.0.0"}}});
            expect(res.status).toBe(400);
            expect((await res.json()).error.message).toMatch(/only allowed on a loopback address/);
            expect(server.core.settings.api.host).toBe("127.0.0.1");
        } finally {
            await server.close();
        }
    });
});
