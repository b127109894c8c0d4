import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ModelList} from "../../shared/openai.js";
import type {Logger} from "../../main/common/log.js";
import {testBackend} from "../support/backend.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

// The API suites run on KVSHARE_TEST_BACKEND's patched build; this fails when anything else was loaded.
const lines: string[] = [];
const log: Logger = {info: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m)};
let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({log});
});
afterAll(async () => {
    await server.close();
});

describe(`the server's llama.cpp build (KVSHARE_TEST_BACKEND=${testBackend})`, () => {
    it("is the KVShare-patched build of that backend, and says so in /v1/models and the log", async () => {
        const models = (await (await server.api("/v1/models")).json()) as ModelList;
        const meta = models.data[0]!.meta!;
        expect(meta.backend).toBe(testBackend);
        expect(meta.kvshare_patched).toBe(true);
        expect(meta.kv_editing).toBe(true);
        expect(meta.build_notice).toBeUndefined();
        if (testBackend === "cpu") expect(meta.devices).toEqual([]);
        else expect(meta.devices!.length).toBeGreaterThan(0);
        expect(lines.join("\n")).toMatch(
            new RegExp(`llama\\.cpp: ${{cpu: "CPU", vulkan: "Vulkan", cuda: "CUDA", metal: "Metal"}[testBackend]} build, KVShare-patched`)
        );
    });
});
