import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {getLlamaGpuTypes} from "node-llama-cpp";
import {describe, expect, it} from "vitest";
import {LlamaLogLevel} from "node-llama-cpp";
import {
    buildLoadError,
    installedPatchedBuilds,
    loadLlama,
    patchedAddon,
    planBuild,
    probeDevices,
    type Backend,
    type GpuBackend,
    type PlanInputs
} from "./nativeBuild.js";

/** A machine description for the policy: which GPU runtimes exist, which patched builds, which devices. */
function machine(options: {
    gpuTypes?: GpuBackend[];
    patched?: Backend[];
    devices?: Partial<Record<`${GpuBackend}:${boolean}`, string[]>>;
    loadErrors?: Partial<Record<`${GpuBackend}:${boolean}`, string>>;
}): Omit<PlanInputs, "requested" | "fallback"> {
    return {
        gpuTypes: options.gpuTypes ?? [],
        patchedBuilds: new Set(options.patched ?? []),
        devicesOf: async (backend, patched) => {
            const loadError = options.loadErrors?.[`${backend}:${patched}`];
            return {devices: options.devices?.[`${backend}:${patched}`] ?? [], ...(loadError == null ? {} : {loadError})};
        }
    };
}

describe("planBuild: which binary to load", () => {
    const vulkanBox = machine({gpuTypes: ["vulkan"], patched: ["cpu", "vulkan"], devices: {"vulkan:true": ["Radeon"], "vulkan:false": ["Radeon"]}});

    it("uses the patched build of the GPU found, never the stock one", async () => {
        expect(await planBuild({...vulkanBox, requested: "auto", fallback: "stock-gpu"})).toEqual({backend: "vulkan", patched: true});
    });

    it("uses the patched CPU build when no GPU device is visible, with nothing to report", async () => {
        const noDevice = machine({gpuTypes: ["vulkan"], patched: ["cpu", "vulkan"]});
        expect(await planBuild({...noDevice, requested: "auto", fallback: "stock-gpu"})).toEqual({backend: "cpu", patched: true});
        expect(await planBuild({...vulkanBox, requested: false, fallback: "stock-gpu"})).toEqual({backend: "cpu", patched: true});
    });

    it("follows gpuFallback for a GPU without a patched build, and says what is lost and what to run", async () => {
        const cudaBox = machine({gpuTypes: ["cuda", "vulkan"], patched: ["cpu", "vulkan"], devices: {"cuda:false": ["RTX 4060"]}});
        const stock = await planBuild({...cudaBox, requested: "auto", fallback: "stock-gpu"});
        expect(stock).toMatchObject({backend: "cuda", patched: false});
        expect(stock.notice).toMatch(/RTX 4060 \(CUDA\).*stock CUDA binary.*semantic KV sharing is off.*npm run build:native -- --gpu cuda.*"patched-cpu"/);
        const cpu = await planBuild({...cudaBox, requested: "auto", fallback: "patched-cpu"});
        expect(cpu).toMatchObject({backend: "cpu", patched: true});
        expect(cpu.notice).toMatch(/RTX 4060 \(CUDA\) is not used.*KV sharing on, GPU speed lost.*npm run build:native -- --gpu cuda.*"stock-gpu"/);
    });

    it("prefers a patched backend that sees the GPU to a better-ranked one without a patched build", async () => {
        const nvidia = machine({gpuTypes: ["cuda", "vulkan"], patched: ["cpu", "vulkan"], devices: {"cuda:false": ["RTX 4060"], "vulkan:true": ["RTX 4060"]}});
        expect(await planBuild({...nvidia, requested: "auto", fallback: "stock-gpu"})).toEqual({backend: "vulkan", patched: true});
    });

    it("takes the stock GPU binary when there is no patched CPU build to fall back to", async () => {
        const bare = machine({gpuTypes: ["vulkan"], devices: {"vulkan:false": ["Arc"]}});
        expect(await planBuild({...bare, requested: "auto", fallback: "patched-cpu"})).toMatchObject({backend: "vulkan", patched: false});
    });

    it("honours an explicit backend, and reports a missing device or build", async () => {
        expect(await planBuild({...vulkanBox, requested: "vulkan", fallback: "stock-gpu"})).toEqual({backend: "vulkan", patched: true});
        const none = await planBuild({...machine({patched: ["cpu"]}), requested: "cuda", fallback: "stock-gpu"});
        expect(none).toEqual({backend: "cpu", patched: true, notice: "no CUDA device found: running on the CPU"});
        // Its patched build installed, but no device to run it on (the driver missing or hidden): the CPU, said so.
        const hidden = machine({gpuTypes: ["vulkan"], patched: ["cpu", "vulkan"]});
        expect(await planBuild({...hidden, requested: "vulkan", fallback: "stock-gpu"})).toEqual({
            backend: "cpu",
            patched: true,
            notice: "no Vulkan device found: running on the CPU"
        });
        const nothing = await planBuild({...machine({}), requested: false, fallback: "stock-gpu"});
        expect(nothing).toMatchObject({backend: "cpu", patched: false});
        expect(nothing.notice).toMatch(/no KVShare-patched CPU build.*`npm run build:native`/);
    });
});

describe("planBuild: a patched build that does not load", () => {
    const broken = "undefined symbol: ggml_backend_vk_reg";

    it("says the build failed to load, not that there is no device, for an explicit backend", async () => {
        const box = machine({gpuTypes: ["vulkan"], patched: ["cpu", "vulkan"], loadErrors: {"vulkan:true": broken}});
        const plan = await planBuild({...box, requested: "vulkan", fallback: "stock-gpu"});
        expect(plan).toMatchObject({backend: "cpu", patched: true});
        expect(plan.notice).toBe(
            `the KVShare-patched Vulkan build did not load (${broken}): running on the CPU; install the driver if the error names one of its libraries, else rebuild it with \`npm run build:native -- --gpu vulkan\``
        );
        expect(plan.notice).not.toMatch(/no Vulkan device found/);
        // "auto" reports it too: an installed build that stopped loading (a system update) is not passed over in silence.
        expect((await planBuild({...box, requested: "auto", fallback: "stock-gpu"})).notice).toMatch(/patched Vulkan build did not load/);
    });

    it("lets gpuFallback decide when the GPU is there but its patched build will not load", async () => {
        const box = machine({gpuTypes: ["vulkan"], patched: ["cpu", "vulkan"], loadErrors: {"vulkan:true": broken}, devices: {"vulkan:false": ["Arc A770"]}});
        const stock = await planBuild({...box, requested: "auto", fallback: "stock-gpu"});
        expect(stock).toMatchObject({backend: "vulkan", patched: false});
        expect(stock.notice).toMatch(/^the KVShare-patched Vulkan build did not load \(undefined symbol.*\): running node-llama-cpp's stock Vulkan binary/);
        const cpu = await planBuild({...box, requested: "auto", fallback: "patched-cpu"});
        expect(cpu).toMatchObject({backend: "cpu", patched: true});
        expect(cpu.notice).toMatch(/^Arc A770 \(Vulkan\) is not used: the KVShare-patched Vulkan build did not load/);
    });

    it("reads a load failure from what node-llama-cpp logged, and a missing device as no failure", () => {
        expect(buildLoadError(true, `${broken}\n    at Object.Module._extensions`)).toBe(broken);
        expect(buildLoadError(true, "Vulkan device is not supported")).toBeUndefined();
        expect(buildLoadError(true, "NoBinaryFoundError")).toBeUndefined();
        // A stock binary without its runtime: that GPU is simply not here.
        expect(buildLoadError(false, "libcuda.so.1: cannot open shared object file")).toBeUndefined();
    });
});

describe("loadLlama", () => {
    it("refuses settings it does not know, before loading anything", async () => {
        const base = {maxThreads: 1, logLevel: LlamaLogLevel.error};
        await expect(loadLlama({...base, gpu: "opencl" as never, gpuFallback: "stock-gpu"})).rejects.toThrow(
            /settings\.gpu must be "auto", false, "cuda", "vulkan", "metal"; got "opencl"/
        );
        await expect(loadLlama({...base, gpu: "auto", gpuFallback: "cpu" as never})).rejects.toThrow(
            /settings\.gpuFallback must be "stock-gpu" or "patched-cpu"/
        );
    });
});

// A machine with a patched CUDA build loads it whatever addon is named: node-llama-cpp's own check then says something.
describe.skipIf(installedPatchedBuilds().has("cuda"))("probeDevices, where node-llama-cpp's own check says nothing", () => {
    it("loads the patched addon itself: one that fails is a build that did not load, one that loads found no device", async () => {
        // No CUDA build here: node-llama-cpp finds no binary and logs nothing, so the addon named decides.
        const broken = await probeDevices("cuda", true, path.join(os.tmpdir(), "kvshare-no-such-build", "llama-addon.node"));
        expect(broken.devices).toEqual([]);
        expect(broken.loadError).toMatch(/Cannot find module .*kvshare-no-such-build/);
        if (installedPatchedBuilds().has("cpu")) expect(await probeDevices("cuda", true, patchedAddon("cpu"))).toEqual({devices: []});
    });
});

describe("installedPatchedBuilds", () => {
    it("counts only folders made by build:native (marker and addon), per backend", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-localbuilds-"));
        const platform = ({darwin: "mac", win32: "win"} as Record<string, string>)[process.platform] ?? process.platform;
        const make = (folder: string, marker: boolean) => {
            fs.mkdirSync(path.join(dir, folder, "Release"), {recursive: true});
            fs.writeFileSync(path.join(dir, folder, "Release", "llama-addon.node"), "");
            if (marker) fs.writeFileSync(path.join(dir, folder, "kvshare-native.json"), "{}");
        };
        make(`${platform}-${process.arch}`, true);
        make(`${platform}-${process.arch}-vulkan`, true);
        make(`${platform}-${process.arch}-cuda`, false); // a plain node-llama-cpp build: not ours
        expect([...installedPatchedBuilds(dir)].sort()).toEqual(["cpu", "vulkan"]);
        fs.rmSync(dir, {recursive: true, force: true});
    });
});

// On a machine with Mesa's software Vulkan driver (CI installs it), the real probe and the policy.
const lavapipe = fs.existsSync("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json");
describe.runIf(lavapipe)("with Mesa's lavapipe driver (a real Vulkan device)", () => {
    it("finds llvmpipe only when llama.cpp is told to use CPU-type devices, and not with the driver hidden", async () => {
        expect(await getLlamaGpuTypes("supported")).toContain("vulkan");
        const saved = {visible: process.env.GGML_VK_VISIBLE_DEVICES, icd: process.env.VK_ICD_FILENAMES};
        try {
            // The driver is installed; this test hides it itself (the run may have it hidden already).
            delete process.env.VK_ICD_FILENAMES;
            delete process.env.GGML_VK_VISIBLE_DEVICES;
            expect(await probeDevices("vulkan", false)).toEqual({devices: []});
            process.env.GGML_VK_VISIBLE_DEVICES = "0";
            expect((await probeDevices("vulkan", false)).devices[0]).toMatch(/llvmpipe/);
            process.env.VK_ICD_FILENAMES = "/nonexistent.json";
            expect(await probeDevices("vulkan", false)).toEqual({devices: []});
            delete process.env.VK_ICD_FILENAMES;
            // No patched Vulkan build (as on a machine where only the CPU one was built): the policy's notice names the device.
            const plan = await planBuild({
                requested: "auto",
                fallback: "stock-gpu",
                gpuTypes: ["vulkan"],
                patchedBuilds: new Set(["cpu"]),
                devicesOf: probeDevices
            });
            expect(plan).toMatchObject({backend: "vulkan", patched: false});
            expect(plan.notice).toMatch(/llvmpipe.*npm run build:native -- --gpu vulkan/);
            if (installedPatchedBuilds().has("vulkan")) {
                expect((await probeDevices("vulkan", true)).devices[0]).toMatch(/llvmpipe/);
                // The patched build with the driver hidden loads and finds no device: not a build that failed to load.
                process.env.VK_ICD_FILENAMES = "/nonexistent.json";
                expect(await probeDevices("vulkan", true)).toEqual({devices: []});
                delete process.env.VK_ICD_FILENAMES;
            }
        } finally {
            for (const [name, value] of [
                ["GGML_VK_VISIBLE_DEVICES", saved.visible],
                ["VK_ICD_FILENAMES", saved.icd]
            ] as const)
                if (value == null) delete process.env[name];
                else process.env[name] = value;
        }
    });
});
