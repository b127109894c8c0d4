import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {LoadedRuntimeSettings} from "../../shared/admin.js";
import type {GpuBackendSupport} from "../../shared/llamaBackend.js";
import {silentLogger} from "../common/log.js";
import {defaultSettings, loadSettings, mergeSettings, settingsPath, type Settings} from "../config/settings.js";
import {getSettings, patchSettings, type SettingsDeps} from "./settingsService.js";

// The runtime settings over live settings and a real settings.json in a temp folder; the loaded model is a stand-in.
let dataDir: string;
beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-runtime-settings-"));
});
afterEach(() => {
    fs.rmSync(dataDir, {recursive: true, force: true});
});

/** What the machine offers of each GPU backend, as the app core reports it. */
const gpuSupport: GpuBackendSupport[] = [
    {backend: "cuda", found: false, patched: false},
    {backend: "vulkan", found: true, patched: true},
    {backend: "metal", found: false, patched: false}
];

/** A start-up flag's thread count, other than the default (the machine's core count) whatever the machine. */
const flagThreads = defaultSettings.threads + 1;

/** Deps as `serve --threads N` builds them: the flag over the settings file, and a model loaded with them. */
function runtimeDeps() {
    const settings: Settings = mergeSettings(loadSettings(dataDir), {threads: flagThreads});
    const loaded: LoadedRuntimeSettings = {
        threads: settings.threads,
        parallel: settings.parallel,
        contextSize: settings.contextSize,
        gpu: settings.gpu,
        gpuFallback: settings.gpuFallback,
        contextTokens: 2048,
        backend: "cpu"
    };
    let serving = true;
    const deps = {
        settings,
        dataDir,
        startupFlags: {threads: flagThreads},
        apiKey: "kvs-test-key",
        apiServer: () => undefined,
        models: {
            loaded: () => (serving ? {contextSize: 2048, countTokens: (text: string) => text.length, runtime: loaded} : undefined),
            gpuBackends: () => gpuSupport
        },
        cache: () => undefined,
        log: silentLogger
    } as unknown as SettingsDeps;
    return {settings, loaded, deps, unload: () => (serving = false)};
}

const fileHolds = (): unknown => JSON.parse(fs.readFileSync(settingsPath(dataDir), "utf8"));

describe("runtime settings", () => {
    it("shows the values the next load uses, those the model was loaded with, the file's, the flags over it and the core count", () => {
        const {deps, loaded, unload} = runtimeDeps();
        const {runtime, restartRequired} = getSettings(deps);
        expect(runtime).toEqual({
            threads: flagThreads,
            parallel: 4,
            contextSize: 2048,
            gpu: "auto",
            gpuFallback: "stock-gpu",
            loaded,
            saved: {threads: defaultSettings.threads, parallel: 4, contextSize: 2048, gpu: "auto", gpuFallback: "stock-gpu"},
            flagOverrides: ["threads"],
            cores: os.availableParallelism(),
            gpuBackends: gpuSupport
        });
        expect(restartRequired).toEqual([
            "sharing.embedder",
            "runtime.threads",
            "runtime.parallel",
            "runtime.contextSize",
            "runtime.gpu",
            "runtime.gpuFallback"
        ]);
        unload();
        expect(getSettings(deps).runtime?.loaded).toBeNull();
        // A value edited into the file by hand while the app runs differs from the live one, but no flag set it.
        fs.writeFileSync(settingsPath(dataDir), JSON.stringify({parallel: 6}));
        expect(getSettings(deps).runtime).toMatchObject({parallel: 4, saved: {parallel: 6}, flagOverrides: ["threads"]});
        // A file broken by hand meanwhile: what it holds is not known, and the panel still opens.
        fs.writeFileSync(settingsPath(dataDir), "{ nope");
        expect(getSettings(deps).runtime).toMatchObject({threads: flagThreads, saved: null, flagOverrides: []});
    });

    it("refuses a value out of the command line's ranges, or of another type, with a 400 naming the field; nothing is saved", async () => {
        const {settings, deps} = runtimeDeps();
        const refused: Array<[unknown, string, RegExp]> = [
            [{runtime: {threads: 0}}, "runtime.threads", /^runtime\.threads must be between 1 and 4096 \(llama\.cpp CPU threads\); got 0\.$/],
            [{runtime: {threads: 5000}}, "runtime.threads", /between 1 and 4096/],
            [{runtime: {parallel: 65}}, "runtime.parallel", /^runtime\.parallel must be between 1 and 64 \(sequences served at once\); got 65\.$/],
            [{runtime: {parallel: 2.5}}, "runtime.parallel", /must be a whole number/],
            [{runtime: {contextSize: 32}}, "runtime.contextSize", /between 64 and 1048576 \(tokens per sequence, or "auto"\)/],
            [{runtime: {contextSize: "max"}}, "runtime.contextSize", /must be a number/],
            [{runtime: {gpu: "opencl"}}, "runtime.gpu", /^runtime\.gpu must be one of "auto", "cuda", "vulkan", "metal", or false \(CPU only\)\.$/],
            [{runtime: {gpu: true}}, "runtime.gpu", /or false \(CPU only\)/],
            [{runtime: {gpuFallback: "cpu"}}, "runtime.gpuFallback", /^runtime\.gpuFallback must be one of "stock-gpu", "patched-cpu"\.$/],
            [{runtime: {batch: 512}}, "runtime.batch", /^Unknown runtime setting 'batch' \(only threads, parallel, contextSize, gpu, gpuFallback\)\.$/],
            [{runtime: 4}, "runtime", /^runtime must be an object\.$/],
            // The settings file's top-level name: the change names it in its group.
            [{threads: 2}, "threads", /^'threads' is changed as 'runtime\.threads'/],
            // One bad field refuses the whole change.
            [{runtime: {threads: 2, parallel: 0}, sharing: {topK: 3}}, "runtime.parallel", /between 1 and 64/]
        ];
        for (const [input, param, message] of refused)
            await expect(patchSettings(deps, input), JSON.stringify(input)).rejects.toMatchObject({
                kind: "invalid_input",
                code: "invalid_setting",
                param,
                message: expect.stringMatching(message) as string
            });
        expect(settings).toMatchObject({threads: flagThreads, parallel: 4, sharing: {topK: defaultSettings.sharing.topK}});
        expect(fs.existsSync(settingsPath(dataDir))).toBe(false);
    });

    it("saves a change to settings.json and the live settings; the model serving keeps what it was loaded with until it is loaded again", async () => {
        const {settings, deps, loaded} = runtimeDeps();
        const answer = await patchSettings(deps, {runtime: {parallel: 2, contextSize: "auto", gpu: false, gpuFallback: "patched-cpu"}});
        expect(answer.runtime).toMatchObject({
            threads: flagThreads,
            parallel: 2,
            contextSize: "auto",
            gpu: false,
            gpuFallback: "patched-cpu",
            loaded,
            saved: {threads: defaultSettings.threads, parallel: 2, contextSize: "auto", gpu: false, gpuFallback: "patched-cpu"},
            flagOverrides: ["threads"]
        });
        expect(settings).toMatchObject({parallel: 2, contextSize: "auto", gpu: false, gpuFallback: "patched-cpu"});
        // Only the change reaches the file, at its top level; the flag's thread count stays out of it.
        expect(fileHolds()).toEqual({parallel: 2, contextSize: "auto", gpu: false, gpuFallback: "patched-cpu"});
        expect(loadSettings(dataDir)).toMatchObject({threads: defaultSettings.threads, parallel: 2, contextSize: "auto", gpu: false});

        // A change of a value a flag set replaces the flag's for this run, and is saved for the next start.
        const threads = await patchSettings(deps, {runtime: {threads: 1, contextSize: 4096}});
        expect(threads.runtime).toMatchObject({threads: 1, contextSize: 4096, flagOverrides: [], loaded: {threads: flagThreads, contextSize: 2048}});
        expect(fileHolds()).toEqual({threads: 1, parallel: 2, contextSize: 4096, gpu: false, gpuFallback: "patched-cpu"});
        expect(settings.threads).toBe(1);
        // More threads than this machine has cores: refused (a flag may still ask for it, as this run's did).
        await expect(patchSettings(deps, {runtime: {threads: os.availableParallelism() + 1}})).rejects.toMatchObject({
            code: "invalid_setting",
            param: "runtime.threads",
            message: expect.stringMatching(/^runtime\.threads must be at most \d+, this machine's logical cores; got \d+\./) as string
        });
        expect(settings.threads).toBe(1);
        // Sent with another group's change: both are saved.
        await patchSettings(deps, {runtime: {parallel: 8}, sharing: {topK: 5}});
        expect(fileHolds()).toMatchObject({parallel: 8, sharing: {topK: 5}});
        expect(settings).toMatchObject({parallel: 8, sharing: {topK: 5}});
    });
});
