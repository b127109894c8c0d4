import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ModelStatus} from "../../shared/admin.js";
import {otherModelPath, startTestServer, testModelPath, type TestServer} from "../support/testServer.js";

const vocabOnly = path.resolve(path.dirname(testModelPath), "vocab-only/ggml-vocab-llama-spm.gguf");

let server: TestServer;
let dir: string;
beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-switch-"));
    server = await startTestServer({overrides: {parallel: 4}});
});
afterAll(async () => {
    await server.close();
    fs.rmSync(dir, {recursive: true, force: true});
});

const putModel = (file: string) => server.api("/kvshare/model", {method: "PUT", json: {path: file}});
async function settledStatus(): Promise<ModelStatus> {
    await expect
        .poll(async () => ((await (await server.api("/kvshare/models")).json()) as {status: ModelStatus}).status.status, {timeout: 60_000, interval: 25})
        .not.toBe("loading");
    return ((await (await server.api("/kvshare/models")).json()) as {status: ModelStatus}).status;
}

describe("starting", () => {
    it("listens before the model loads: /health is 503 then, 200 once it is ready", async () => {
        const port = await new Promise<number>((resolve) => {
            const probe = net.createServer().listen(0, "127.0.0.1", () => {
                const {port: free} = probe.address() as net.AddressInfo;
                probe.close(() => resolve(free));
            });
        });
        let during: Promise<number> | undefined;
        const starting = await startTestServer({
            overrides: {api: {port, host: "127.0.0.1"}},
            onLoadProgress: () => {
                during ??= fetch(`http://127.0.0.1:${port}/health`).then((res) => res.status);
            }
        });
        try {
            expect(await during).toBe(503);
            expect((await starting.api("/health", {noAuth: true})).status).toBe(200);
        } finally {
            await starting.close();
        }
    });
});

describe("switching models under load", () => {
    it("never answers 500: requests finish on the old model or end with 503 + retry-after", async () => {
        server.core.switchGraceMs = 300;
        const story = (i: number) => `Once upon a time, a child number ${i} went to the big forest and`;
        const requests = Array.from({length: 12}, (_, i) =>
            server
                .api("/v1/completions", {
                    method: "POST",
                    json: {prompt: story(i), max_tokens: 1500, temperature: 0.8, stream: i % 2 === 0}
                })
                .then(async (res) => ({status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.text()}))
        );
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect((await putModel(otherModelPath)).status).toBe(200);
        const results = await Promise.all(requests);
        expect((await settledStatus()).modelId).toBe("TinyStories-656K-Q8_0");
        for (const result of results) {
            expect([200, 503], result.body.slice(0, 200)).toContain(result.status);
            if (result.status === 503) {
                expect(result.retryAfter).toBe("1");
                expect(JSON.parse(result.body).error.code).toBe("model_switched");
            } else if (result.body.startsWith("data:")) {
                // A stream cut by the switch says why in-stream, then ends properly.
                expect(result.body.trimEnd().endsWith("data: [DONE]")).toBe(true);
                expect(result.body).not.toMatch(/"server_error"|Context is disposed/);
            }
        }
        // Requests after the switch are served by the new model.
        const after = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once upon a time", max_tokens: 4}});
        expect(after.status).toBe(200);
        expect(((await after.json()) as {model: string}).model).toBe("TinyStories-656K-Q8_0");
        // The start-up model (from outside the models folder) is still offered, to switch back to.
        const listed = ((await (await server.api("/kvshare/models")).json()) as {models: Array<{path: string; source: string; current: boolean}>}).models;
        expect(listed.map(({path: file, source, current}) => ({file, source, current}))).toEqual([
            {file: path.resolve(otherModelPath), source: "loaded", current: true},
            {file: path.resolve(testModelPath), source: "served", current: false}
        ]);
        server.core.switchGraceMs = 60_000;
        expect((await putModel(path.resolve(testModelPath))).status).toBe(200);
        expect((await settledStatus()).modelId).toBe("stories260K");
    });
});

describe("switching to a file that cannot be served", () => {
    it("refuses vocabulary-only and truncated files before unloading anything", async () => {
        const truncated = path.join(dir, "truncated.gguf");
        const bytes = fs.readFileSync(testModelPath);
        fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
        // Only the end of the last tensor missing (its data starts before the cut): its size tells.
        const endCut = path.join(dir, "end-cut.gguf");
        fs.writeFileSync(endCut, bytes.subarray(0, bytes.length - 100));
        const zeros = path.join(dir, "zeros.gguf");
        fs.writeFileSync(zeros, Buffer.alloc(4096));
        for (const [file, pattern] of [
            [vocabOnly, /no weights/],
            [truncated, /truncated/],
            [endCut, /truncated \(\d+ bytes; its weights need \d+\)/],
            [zeros, /not a GGUF file/]
        ] as const) {
            const res = await putModel(file);
            expect(res.status, file).toBe(400);
            const error = ((await res.json()) as {error: {message: string}}).error;
            expect(error.message).toMatch(pattern);
            expect(error.message).not.toMatch(/TypeError|Cannot read/);
        }
        expect((await server.api("/health")).status).toBe(200);
        expect(server.core.requirePipeline().runtime.modelId).toBe("stories260K");
    });

    it("keeps the old model serving when the new one fails to load, and says why", async () => {
        // Past the header checks (a damaged tensor table the quick check cannot see): the load itself fails.
        const damaged = path.join(dir, "damaged.gguf");
        const bytes = Buffer.from(fs.readFileSync(testModelPath));
        bytes.fill(0xff, 64, 4096);
        fs.writeFileSync(damaged, bytes);
        await expect(server.core.loadModel(damaged)).rejects.toThrow();
        const status = await settledStatus();
        expect(status.status).toBe("ok");
        expect(status.modelId).toBe("stories260K");
        expect(status.error).toMatch(/Could not switch models: .*Still serving stories260K/);
        expect(status.error).not.toMatch(/TypeError/);
        const res = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once upon a time", max_tokens: 4}});
        expect(res.status).toBe(200);
    });
});
