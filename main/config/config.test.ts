import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {loadOrCreateApiKey} from "./apiKey.js";
import {KeyStore} from "./apiKeys.js";
import {parseServeArgs} from "../cliArgs.js";
import {resolveModelPath, NoModelError} from "./resolveModel.js";
import {defaultSettings, loadSettings, saveSettingsPatch} from "./settings.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-config-"));

describe("settings", () => {
    it("listen on loopback with auth on unless the admin says otherwise", () => {
        expect(defaultSettings.api.host).toBe("127.0.0.1");
        expect(defaultSettings.api.auth).toBe(true);
        expect(parseServeArgs(["--host", "0.0.0.0"]).overrides?.api?.host).toBe("0.0.0.0");
    });

    it("merge a partial file over the defaults and survive a round trip, the file holding only what was changed", () => {
        const dir = tmp();
        saveSettingsPatch(dir, {sharing: {similarityThreshold: 0.7}, api: {port: 9000}});
        saveSettingsPatch(dir, {sharing: {topK: 5}});
        const loaded = loadSettings(dir);
        expect(loaded.sharing.similarityThreshold).toBe(0.7);
        expect(loaded.sharing.topK).toBe(5);
        expect(loaded.sharing.recomputeBudget).toBe(defaultSettings.sharing.recomputeBudget);
        expect(loaded.api.port).toBe(9000);
        expect(loaded.api.host).toBe("127.0.0.1");
        // Defaults stay out of the file: a later version's reach settings nobody changed.
        expect(JSON.parse(fs.readFileSync(path.join(dir, "settings.json"), "utf8"))).toEqual({sharing: {similarityThreshold: 0.7, topK: 5}, api: {port: 9000}});
    });

    it("explain a broken settings file", () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "settings.json"), "{ nope");
        expect(() => loadSettings(dir)).toThrow(/not valid JSON.*Fix or delete it/);
    });

    it("name the API keys file when it is not a list of keys", () => {
        const dir = tmp();
        const file = path.join(dir, "keys.json");
        fs.writeFileSync(file, "{ nope");
        expect(() => KeyStore.inDataDir(dir).list()).toThrow(`The API keys file ${file} is not valid JSON`);
        fs.writeFileSync(file, "{}");
        expect(() => KeyStore.inDataDir(dir).list()).toThrow(/must hold a list of keys\. Fix it, or delete it to revoke every issued key\./);
    });

    it("refuse a settings file with a value the server cannot run with, naming the file and the setting", () => {
        const dir = tmp();
        const file = path.join(dir, "settings.json");
        const refused: Array<[unknown, RegExp]> = [
            [null, /must hold a JSON object/],
            [{parallel: 0}, /parallel must be between 1 and 64/],
            [{parallel: "lots"}, /parallel must be a number/],
            [{threads: 1.5}, /threads must be a whole number/],
            [{contextSize: "big"}, /contextSize must be a number/],
            [{gpu: "amd"}, /gpu must be one of "auto", "cuda", "vulkan", "metal"/],
            [{contextSize: 32}, /contextSize must be between 64 and 1048576/],
            [{gpuFallback: "cpu"}, /gpuFallback must be one of "stock-gpu", "patched-cpu"/],
            [{sharing: {topK: -5}}, /sharing.topK must be between 1 and 256/],
            [{sharing: {recomputePolicy: "magic"}}, /sharing.recomputePolicy must be one of/],
            [{api: {auth: "no"}}, /api.auth must be true or false/],
            [{api: {port: 70000}}, /api.port must be between 0 and 65535/],
            [{limits: {maxQueue: 0}}, /limits.maxQueue must be between 1/]
        ];
        for (const [stored, message] of refused) {
            fs.writeFileSync(file, JSON.stringify(stored));
            expect(() => loadSettings(dir)).toThrow(message);
            expect(() => loadSettings(dir)).toThrow(`The settings file ${file}: `);
            expect(() => loadSettings(dir)).toThrow(/Fix or delete it\.$/);
        }
        // Everything the app itself writes loads, and so do fields a newer version may add.
        fs.writeFileSync(
            file,
            JSON.stringify({
                ...defaultSettings,
                threads: 512,
                contextSize: "auto",
                gpu: false,
                modelPath: "/m.gguf",
                futureField: 1,
                sharing: {...defaultSettings.sharing, futureSharing: "x"},
                api: {...defaultSettings.api, futureApi: 1}
            })
        );
        expect(loadSettings(dir).contextSize).toBe("auto");
    });
});

describe("CLI flags", () => {
    it("refuse bad numbers and unknown flags", () => {
        expect(() => parseServeArgs(["--port", "http"])).toThrow(/--port must be an integer/);
        expect(() => parseServeArgs(["--parallel", "0"])).toThrow(/--parallel/);
        // Number() would read these as 0 (a random port) and 80.
        expect(() => parseServeArgs(["--port", ""])).toThrow(/--port must be an integer/);
        expect(() => parseServeArgs(["--port", " "])).toThrow(/--port must be an integer/);
        expect(() => parseServeArgs(["--port", "0x50"])).toThrow(/--port must be an integer/);
        expect(parseServeArgs(["--port", "8081"]).overrides?.api).toMatchObject({port: 8081});
        expect(() => parseServeArgs(["--frobnicate"])).toThrow();
    });

    it("choose the backend and the policy for a GPU without a patched build", () => {
        expect(parseServeArgs(["--gpu", "vulkan"]).overrides?.gpu).toBe("vulkan");
        expect(parseServeArgs(["--gpu", "cpu"]).overrides?.gpu).toBe(false);
        expect(parseServeArgs(["--cpu"]).overrides?.gpu).toBe(false);
        expect(parseServeArgs(["--gpu-fallback", "patched-cpu"]).overrides?.gpuFallback).toBe("patched-cpu");
        expect(() => parseServeArgs(["--gpu", "opencl"])).toThrow(/--gpu must be one of auto, cpu, cuda, vulkan, metal/);
        expect(() => parseServeArgs(["--gpu-fallback", "cpu"])).toThrow(/--gpu-fallback must be one of stock-gpu, patched-cpu/);
    });
});

describe("API key", () => {
    it("is generated once, stored owner-readable only, and reused", () => {
        const dir = tmp();
        const first = loadOrCreateApiKey(dir);
        expect(first.created).toBe(true);
        expect(first.key).toMatch(/^kvs-[\w-]{32}$/);
        expect(fs.statSync(path.join(dir, "api-key")).mode & 0o077).toBe(0);
        expect(loadOrCreateApiKey(dir)).toEqual({key: first.key, created: false});
    });
});

describe("model choice", () => {
    it("prefers --model, then KVSHARE_MODEL, then settings, then the models folder", () => {
        const dir = tmp();
        fs.mkdirSync(path.join(dir, "models"));
        const inFolder = path.join(dir, "models", "b.gguf");
        fs.writeFileSync(inFolder, "x");
        const flag = path.join(dir, "flag.gguf");
        fs.writeFileSync(flag, "x");
        expect(resolveModelPath({dataDir: dir, env: {}})).toEqual({path: inFolder, source: "models-folder", others: []});
        // The folder's later files (in name order) are there for when the first cannot be served.
        const later = path.join(dir, "models", "c.gguf");
        fs.writeFileSync(later, "x");
        expect(resolveModelPath({dataDir: dir, env: {}}).others).toEqual([later]);
        expect(resolveModelPath({dataDir: dir, settingsPath: flag, env: {}}).source).toBe("settings");
        expect(resolveModelPath({dataDir: dir, settingsPath: inFolder, env: {KVSHARE_MODEL: flag}}).source).toBe("env");
        expect(resolveModelPath({dataDir: dir, flag, env: {KVSHARE_MODEL: inFolder}}).source).toBe("flag");
    });

    it("says what to do when there is none", () => {
        expect(() => resolveModelPath({dataDir: tmp(), env: {}})).toThrow(NoModelError);
        expect(() => resolveModelPath({dataDir: tmp(), env: {}})).toThrow(/--model .*KVSHARE_MODEL.*models/s);
        expect(() => resolveModelPath({dataDir: tmp(), flag: "/nonexistent.gguf", env: {}})).toThrow(/does not exist/);
    });
});
