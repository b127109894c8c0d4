/**
 * The runtime settings from the settings panel, on a real server and the tiny model: a change is checked with the
 * command line's ranges, saved to settings.json, and applied when the model is loaded again, which the panel does
 * by loading the model serving now.
 */
import fs from "node:fs";
import path from "node:path";
import {getLlamaGpuTypes} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {AdminSettings, ModelStatus} from "../../shared/admin.js";
import {gpuBackends} from "../../shared/llamaBackend.js";
import {installedPatchedBuilds} from "../../main/runtime/nativeBuild.js";
import {testBackend, testGpuSetting} from "../support/backend.js";
import {startTestServer, type TestServer} from "../support/testServer.js";
import {health, waitFor} from "../support/waitFor.js";

let server: TestServer;
beforeAll(async () => {
    // As `serve --parallel 2 --ctx-size 1024` (the test server adds one thread and the test backend).
    server = await startTestServer({overrides: {parallel: 2, contextSize: 1024}});
});
afterAll(async () => {
    await server.close();
});

async function runtime(): Promise<NonNullable<AdminSettings["runtime"]>> {
    const settings = (await (await server.api("/kvshare/settings")).json()) as AdminSettings;
    return settings.runtime!;
}

const sequences = async (): Promise<number> => {
    const now = await health(server);
    return now.slots_idle + now.slots_busy;
};

const settingsFile = (): Record<string, unknown> => {
    const file = path.join(server.dataDir, "settings.json");
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
};

describe("runtime settings from the panel", () => {
    it("shows what the model was loaded with, and which values start-up flags set over the file", async () => {
        const shown = await runtime();
        const startedWith = {threads: 1, parallel: 2, contextSize: 1024, gpu: testGpuSetting, gpuFallback: "stock-gpu"};
        expect(shown).toMatchObject({...startedWith, loaded: {...startedWith, contextTokens: 1024, backend: testBackend}});
        expect(shown.saved).toMatchObject({parallel: 4, contextSize: 2048, gpu: "auto"});
        expect(shown.flagOverrides).toEqual(expect.arrayContaining(["parallel", "contextSize", "gpu"]));
        expect(shown.cores).toBeGreaterThanOrEqual(1);
        // What the GPU select offers: each backend as this machine has it (drivers found, patched builds installed).
        const found = await getLlamaGpuTypes("supported");
        const patched = installedPatchedBuilds();
        // Looked for once at start-up, beside the model's load.
        const offered = await waitFor("the GPU drivers looked for", async () => (await runtime()).gpuBackends ?? undefined);
        expect(offered).toEqual(gpuBackends.map((backend) => ({backend, found: found.includes(backend), patched: patched.has(backend)})));
        expect(offered.find((b) => b.backend === testBackend)?.patched ?? testBackend === "cpu").toBe(true);
        expect(await sequences()).toBe(2);
        // The address too (as `serve --port 0`): the port a flag set, beside the one settings.json keeps.
        const {api} = (await (await server.api("/kvshare/settings")).json()) as AdminSettings;
        expect([api.port, api.saved, api.flagOverrides]).toEqual([0, {host: "127.0.0.1", port: 8080}, ["port"]]);
    });

    it("refuses a value outside the command line's ranges with a 400 naming the field", async () => {
        const response = await server.api("/kvshare/settings", {method: "PATCH", json: {runtime: {parallel: 0}}});
        expect(response.status).toBe(400);
        const {error} = (await response.json()) as {error: {message: string; type: string; param: string; code: string}};
        expect(error).toEqual({
            message: "runtime.parallel must be between 1 and 64 (sequences served at once); got 0.",
            type: "invalid_request_error",
            param: "runtime.parallel",
            code: "invalid_setting"
        });
        expect(settingsFile()).toEqual({});
        expect(server.core.settings.parallel).toBe(2);
    });

    it("saves a change for the next load; loading the model serving now applies it (3 sequences of 512 tokens)", async () => {
        const patched = await server.api("/kvshare/settings", {method: "PATCH", json: {runtime: {parallel: 3, contextSize: 512}}});
        expect(patched.status).toBe(200);
        const saved = ((await patched.json()) as AdminSettings).runtime!;
        expect(saved).toMatchObject({parallel: 3, contextSize: 512, loaded: {parallel: 2, contextSize: 1024, contextTokens: 1024}});
        expect(saved.flagOverrides).not.toContain("parallel");
        expect(settingsFile()).toEqual({parallel: 3, contextSize: 512});
        // The model serving now keeps its sequences until it is loaded again.
        expect(await sequences()).toBe(2);

        const current = server.core.modelPath!;
        const reload = await server.api("/kvshare/model", {method: "PUT", json: {path: current}});
        expect(reload.status).toBe(200);
        expect(((await reload.json()) as ModelStatus).status).toBe("loading");
        await waitFor("the model to be loaded again", () => server.core.status === "ok" && !server.core.switching, 60_000);

        expect(await sequences()).toBe(3);
        expect((await runtime()).loaded).toMatchObject({parallel: 3, contextSize: 512, contextTokens: 512, threads: 1});
        const models = (await (await server.api("/v1/models")).json()) as {data: Array<{meta: {parallel: number; context_size: number}}>};
        expect(models.data[0]!.meta).toMatchObject({parallel: 3, context_size: 512});
        const completion = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once upon a time", max_tokens: 4, temperature: 0}});
        expect(completion.status).toBe(200);
        expect(settingsFile()).toMatchObject({parallel: 3, contextSize: 512, modelPath: current});
    });
});
