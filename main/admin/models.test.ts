import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ModelList, ModelStatus} from "../../shared/admin.js";
import {otherModelPath, startTestServer, testModelPath, type TestServer} from "../../test/support/testServer.js";
import {runAdminOp} from "./operations.js";

// The models folder of a temp data dir holds symlinks to the shared test models (nothing is copied).
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-models-"));
const folder = path.join(dataDir, "models");
const storiesLink = path.join(folder, "stories260K.gguf");
const tinyLink = path.join(folder, "TinyStories-656K-Q8_0.gguf");

let server: TestServer;
beforeAll(async () => {
    fs.mkdirSync(folder);
    fs.symlinkSync(path.resolve(testModelPath), storiesLink);
    fs.symlinkSync(path.resolve(otherModelPath), tinyLink);
    fs.writeFileSync(path.join(folder, "notes.txt"), "not a model");
    server = await startTestServer({dataDir, modelPath: storiesLink});
});
afterAll(async () => {
    await server.close();
    fs.rmSync(dataDir, {recursive: true, force: true});
});

async function waitLoaded(): Promise<ModelStatus> {
    await expect.poll(() => runAdminOp(server.core.admin, "modelStatus", {}).status, {timeout: 60_000, interval: 20}).not.toBe("loading");
    return runAdminOp(server.core.admin, "modelStatus", {});
}

async function putModel(body: unknown): Promise<Response> {
    return server.api("/kvshare/model", {method: "PUT", json: body});
}

describe("model picker operations", () => {
    it("lists the models folder's GGUF files with sizes and header facts", async () => {
        const response = await server.api("/kvshare/models");
        expect(response.status).toBe(200);
        const list = (await response.json()) as ModelList;
        expect(list.modelsDir).toBe(folder);
        expect(list.models.map((m) => [m.id, m.source, m.current])).toEqual([
            ["TinyStories-656K-Q8_0", "models-folder", false],
            ["stories260K", "models-folder", true]
        ]);
        for (const model of list.models) {
            expect(model.sizeBytes).toBe(fs.statSync(model.path).size);
            expect(model.architecture).toBe("llama");
            expect(model.contextLength).toBeGreaterThan(0);
            expect(model.problem).toBeNull();
        }
        expect(list.status).toEqual({status: "ok", progress: 1, modelId: "stories260K", modelPath: storiesLink, error: null});
        expect((await server.api("/kvshare/models", {noAuth: true})).status).toBe(401);
        expect((await server.api("/kvshare/model", {method: "PUT", json: {path: tinyLink}, noAuth: true})).status).toBe(401);
    });

    it("lists the files that cannot be served with the reason a load would give, and no header facts it cannot read", async () => {
        const vocabLink = path.join(folder, "vocab-only.gguf");
        fs.symlinkSync(path.resolve(path.dirname(testModelPath), "vocab-only/ggml-vocab-llama-spm.gguf"), vocabLink);
        const bytes = fs.readFileSync(testModelPath);
        const truncated = path.join(folder, "truncated.gguf");
        fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
        const notGguf = path.join(folder, "renamed.gguf");
        fs.writeFileSync(notGguf, Buffer.alloc(4096, 7));
        try {
            const list = await runAdminOp(server.core.admin, "listModels", {});
            const problems = Object.fromEntries(list.models.map((m) => [m.id, m.problem]));
            expect(problems).toEqual({
                "TinyStories-656K-Q8_0": null,
                renamed: "it is not a GGUF file",
                stories260K: null,
                truncated: expect.stringMatching(/^the file is truncated \(\d+ bytes; its tensor table points past the end\)$/),
                "vocab-only": "it holds no weights (a vocabulary-only file)"
            });
            expect(list.models.find((m) => m.id === "renamed")).toMatchObject({architecture: null, contextLength: null});
            // What a load of each says is what the list said, word for word.
            for (const model of list.models.filter((m) => m.problem !== null)) {
                const response = await putModel({path: model.path});
                expect(response.status, model.id).toBe(400);
                expect(((await response.json()) as {error: {message: string}}).error.message).toBe(`${model.id}.gguf cannot be served: ${model.problem}.`);
            }
            // A file put right (the same name, a whole model now) is listed as servable: facts follow the file.
            fs.writeFileSync(truncated, bytes);
            expect((await runAdminOp(server.core.admin, "listModels", {})).models.find((m) => m.id === "truncated")?.problem).toBeNull();
        } finally {
            for (const file of [vocabLink, truncated, notGguf]) fs.rmSync(file, {force: true});
        }
    });

    it("creates the models folder when it is missing, owner-only, so the folder the picker names is there to copy into", async () => {
        const other = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-models-missing-"));
        try {
            const list = await runAdminOp({...server.core.admin, dataDir: other}, "listModels", {});
            expect(list.modelsDir).toBe(path.join(other, "models"));
            const stat = fs.statSync(list.modelsDir);
            expect(stat.isDirectory()).toBe(true);
            if (process.platform !== "win32") expect(stat.mode & 0o777).toBe(0o700);
            // The loaded model (elsewhere) is still listed.
            expect(list.models.map((m) => [m.id, m.current])).toEqual([["stories260K", true]]);
        } finally {
            fs.rmSync(other, {recursive: true, force: true});
        }
    });

    it("switches to another model in the background and back, recreating the sharing engine", async () => {
        const storeBefore = server.core.cache;
        const started = await runAdminOp(server.core.admin, "loadModel", {path: tinyLink});
        expect(started).toMatchObject({status: "loading", modelId: "TinyStories-656K-Q8_0", modelPath: tinyLink, error: null});
        // While it loads, the old model goes on serving and a second switch is a 409.
        expect(server.core.requirePipeline().runtime.modelId).toBe("stories260K");
        expect((await server.api("/health")).status).toBe(200);
        const busy = await putModel({path: storiesLink});
        expect(busy.status).toBe(409);
        const done = await waitLoaded();
        expect(done).toEqual({status: "ok", progress: 1, modelId: "TinyStories-656K-Q8_0", modelPath: tinyLink, error: null});
        expect(server.core.cache).toBeDefined();
        expect(server.core.cache).not.toBe(storeBefore);

        const models = (await (await server.api("/v1/models")).json()) as {data: Array<{id: string}>};
        expect(models.data.map((m) => m.id)).toEqual(["TinyStories-656K-Q8_0"]);
        // A plain completion: this model's vocabulary has no byte fallback for "#", which the generic
        // chat template uses (a chat request aborts the process in llama.cpp's tokenizer; see the report).
        const completion = await server.api("/v1/completions", {method: "POST", json: {prompt: "Once upon a time", max_tokens: 4, temperature: 0}});
        expect(completion.status).toBe(200);
        expect(((await completion.json()) as {model: string}).model).toBe("TinyStories-656K-Q8_0");
        // The choice is remembered for the next start.
        await expect.poll(() => (JSON.parse(fs.readFileSync(path.join(dataDir, "settings.json"), "utf8")) as {modelPath?: string}).modelPath).toBe(tinyLink);

        // Back, by an absolute path outside the models folder: listed as the loaded model.
        const back = await putModel({path: path.resolve(testModelPath)});
        expect(back.status).toBe(200);
        expect(((await back.json()) as ModelStatus).status).toBe("loading");
        expect((await waitLoaded()).modelId).toBe("stories260K");
        const list = await runAdminOp(server.core.admin, "listModels", {});
        expect(list.models.map((m) => [m.id, m.source, m.current])).toEqual([
            ["stories260K", "loaded", true],
            ["TinyStories-656K-Q8_0", "models-folder", false],
            ["stories260K", "models-folder", false]
        ]);
        expect((await server.api("/health")).status).toBe(200);
    });

    it("refuses paths that are not listed models or absolute .gguf files with a 400", async () => {
        const fake = path.join(dataDir, "fake.gguf");
        fs.writeFileSync(fake, "this is not a model");
        // The magic and a garbage header: node-llama-cpp's reader trusted its counts and never came back.
        const garbage = path.join(dataDir, "garbage.gguf");
        fs.writeFileSync(garbage, "GGUF garbage");
        const header = Buffer.alloc(24);
        header.write("GGUF", 0, "latin1");
        header.writeUInt32LE(3, 4);
        header.writeBigUInt64LE(10n ** 9n, 8);
        const huge = path.join(dataDir, "huge-counts.gguf");
        fs.writeFileSync(huge, Buffer.concat([header, Buffer.alloc(1000)]));
        // One metadata entry, an array of bytes whose length has a flipped high bit (2^50): the reader allocated for it.
        const entry = Buffer.alloc(8 + 4 + 4 + 4 + 8);
        entry.writeBigUInt64LE(4n, 0);
        entry.write("test", 8, "latin1");
        entry.writeUInt32LE(9, 12);
        entry.writeUInt32LE(0, 16);
        entry.writeBigUInt64LE(2n ** 50n, 20);
        const oneEntry = Buffer.from(header);
        oneEntry.writeBigUInt64LE(1n, 8);
        oneEntry.writeBigUInt64LE(1n, 16);
        const longArray = path.join(dataDir, "long-array.gguf");
        fs.writeFileSync(longArray, Buffer.concat([oneEntry, entry, Buffer.alloc(100)]));
        for (const [body, pattern] of [
            [{}, /'path' must be a non-empty string/],
            [{path: 42}, /'path' must be a non-empty string/],
            [{path: "stories260K.gguf"}, /must be one of the listed models or an absolute path/],
            [{path: "../shared/models/stories260K.gguf"}, /must be one of the listed models or an absolute path/],
            [{path: path.join(dataDir, "settings.json")}, /must be one of the listed models or an absolute path/],
            [{path: path.join(folder, "notes.txt")}, /must be one of the listed models or an absolute path/],
            [{path: path.join(dataDir, "missing.gguf")}, /No model file at/],
            [{path: folder + ".gguf"}, /No model file at/],
            [{path: fake}, /fake.gguf cannot be served: it is not a GGUF file/],
            [{path: garbage}, /garbage.gguf cannot be served: its header is cut short \(12 bytes\)/],
            [{path: huge}, /huge-counts.gguf cannot be served: its header counts 1000000000 tensors and 0 metadata entries, more than its 1024 bytes/],
            [{path: longArray}, /long-array.gguf cannot be served: its metadata entry 0 has an array of 1125899906842624 items, more than the file can hold/]
        ] as const) {
            const response = await putModel(body);
            expect(response.status, JSON.stringify(body)).toBe(400);
            const error = ((await response.json()) as {error: {message: string; type: string; param: string}}).error;
            expect(error.type).toBe("invalid_request_error");
            expect(error.param).toBe("path");
            expect(error.message).toMatch(pattern);
        }
        expect(runAdminOp(server.core.admin, "modelStatus", {}).status).toBe("ok");
        expect(server.core.requirePipeline().runtime.modelId).toBe("stories260K");
    });

    it("reports load progress through AppCore.loadModel's callback", async () => {
        const seen: number[] = [];
        await server.core.loadModel(tinyLink, false, (progress) => seen.push(progress));
        expect(seen.length).toBeGreaterThan(0);
        expect(seen.every((p) => p >= 0 && p <= 1)).toBe(true);
        expect(seen.at(-1)).toBe(1);
        expect(server.core.loadProgress).toBe(1);
    });
});
