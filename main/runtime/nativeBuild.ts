/**
 * Which llama.cpp binary the app loads. This module alone decides; node-llama-cpp's own search (first
 * binary found: a local build, else its stock prebuilt GPU binary) never does, because only the builds
 * made by `npm run build:native` (native/, one per backend: `localBuilds/<platform>-<arch>[-gpu]`) carry
 * the KVShare patch that semantic KV sharing needs.
 *
 * Policy:
 * - `gpu: false`: the patched CPU build.
 * - `gpu: "vulkan" | "cuda" | "metal"`: that backend's patched build.
 * - `gpu: "auto"`: for each GPU backend whose runtime node-llama-cpp finds (CUDA, Vulkan; Metal on Apple
 *   silicon), best first, a child process lists its devices; the first backend with a patched build and a
 *   device is used.
 * - A GPU found without a patched build for it: `gpuFallback` decides. `"stock-gpu"` (default) runs
 *   node-llama-cpp's stock GPU binary with exact prefix reuse only; `"patched-cpu"` keeps KV sharing on the
 *   patched CPU build and leaves the GPU idle. Either way {@link LoadedBuild.notice} says what is lost and
 *   what to run; the log, `/v1/models`, the UI and the hit records show it. Why stock-gpu is the default:
 *   README "GPU backends".
 * - No patched build at all: the stock binary, with a notice.
 */
import {spawn} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {getLlama, getLlamaGpuTypes, LlamaLogLevel, type Llama} from "node-llama-cpp";
import {
    gpuBackends,
    gpuFallbacks,
    type Backend,
    type GpuBackend,
    type GpuBackendSupport,
    type GpuFallback,
    type GpuSetting
} from "../../shared/llamaBackend.js";
import {isPatchedLlama} from "../kv/index.js";
import {asarUnpacked} from "../common/asarUnpacked.js";

export type {Backend, GpuBackend, GpuFallback, GpuSetting};

/** The binary that was loaded, as the log, `/v1/models` and the UI report it. */
export interface LoadedBuild {
    /** The backend the binary was built for. */
    backend: Backend;
    /** Whether it carries the KVShare patch (semantic KV sharing); false = exact prefix reuse only. */
    patched: boolean;
    /** node-llama-cpp's name for where it came from: a local build (ours) or its prebuilt package. */
    binary: "localBuild" | "prebuilt";
    /** GPU devices the binary sees (empty: the model runs on the CPU). */
    devices: string[];
    /** Set when this is not what the machine could run best: what is lost and what to run. */
    notice?: string;
}

/** The binary to load, before loading it. */
export interface BuildPlan {
    backend: Backend;
    patched: boolean;
    notice?: string;
}

/** What {@link planBuild} decides from (a pure input, so the policy is tested without a GPU). */
export interface PlanInputs {
    requested: GpuSetting;
    fallback: GpuFallback;
    /** GPU backends whose runtime libraries exist here, best first (node-llama-cpp's detection). */
    gpuTypes: readonly GpuBackend[];
    /** Backends with a patched local build installed. */
    patchedBuilds: ReadonlySet<Backend>;
    /** Devices a binary lists, or why it did not load (a child process per call; memoised). */
    devicesOf(backend: GpuBackend, patched: boolean): Promise<DeviceProbe>;
}

/** What a binary showed in a child process: its devices, or why it did not load at all. */
export interface DeviceProbe {
    devices: string[];
    /**
     * Set when the binary itself failed to load (built for another system, a library missing), as opposed to
     * loading and finding no device: the one needs a rebuild, the other a driver.
     */
    loadError?: string;
}

const backendName: Record<Backend, string> = {cpu: "CPU", vulkan: "Vulkan", cuda: "CUDA", metal: "Metal"};
const buildCommand = (backend: Backend) => (backend === "cpu" ? "npm run build:native" : `npm run build:native -- --gpu ${backend}`);

/** Decides which binary to load; see the module comment for the policy. */
export async function planBuild(inputs: PlanInputs): Promise<BuildPlan> {
    const {requested, patchedBuilds} = inputs;
    const cpu = (notice?: string): BuildPlan =>
        patchedBuilds.has("cpu")
            ? {backend: "cpu", patched: true, ...(notice == null ? {} : {notice})}
            : {
                  backend: "cpu",
                  patched: false,
                  notice: [
                      notice,
                      `no KVShare-patched CPU build is installed: exact prefix reuse only (semantic KV sharing is off); run \`${buildCommand("cpu")}\``
                  ]
                      .filter(Boolean)
                      .join("; ")
              };
    if (requested === false) return cpu();
    // An explicit backend is checked for a device like any other: with its driver missing or hidden, its binary would
    // fail to load (and the notice would blame the build) or load and run on the CPU while saying it is on the GPU.
    const candidates = requested === "auto" ? inputs.gpuTypes : [requested];
    // A patched build that will not load is reported, not passed over in silence: it needs rebuilding, and "no
    // device found" would send the user looking for a driver.
    const unloadable = new Map<GpuBackend, string>();
    // A patched build that sees a device wins over a better-ranked backend without one (Vulkan drives NVIDIA cards too).
    for (const backend of candidates) {
        if (!patchedBuilds.has(backend)) continue;
        const probe = await inputs.devicesOf(backend, true);
        if (probe.loadError != null) unloadable.set(backend, `the KVShare-patched ${backendName[backend]} build did not load (${probe.loadError})`);
        else if (probe.devices.length > 0) return {backend, patched: true};
    }
    for (const backend of candidates) {
        if (patchedBuilds.has(backend) && !unloadable.has(backend)) continue;
        const {devices} = await inputs.devicesOf(backend, false);
        if (devices.length === 0) continue;
        const gpu = `${devices[0]} (${backendName[backend]})`;
        const missing = unloadable.get(backend) ?? `no KVShare-patched ${backendName[backend]} build for ${gpu}`;
        const build = `run \`${buildCommand(backend)}\` to build it`;
        if (inputs.fallback === "stock-gpu" || !patchedBuilds.has("cpu"))
            return {
                backend,
                patched: false,
                notice: `${missing}: running node-llama-cpp's stock ${backendName[backend]} binary, so semantic KV sharing is off (exact prefix reuse only); ${build}, or set gpuFallback to "patched-cpu" to keep KV sharing on the CPU`
            };
        return cpu(
            `${gpu} is not used: ${unloadable.get(backend) ?? `there is no KVShare-patched ${backendName[backend]} build`}, so the model runs on the patched CPU build (KV sharing on, GPU speed lost); ${build}, or set gpuFallback to "stock-gpu" to use the GPU without KV sharing`
        );
    }
    const failed = [...unloadable].map(
        ([backend, reason]) =>
            `${reason}: running on the CPU; install the driver if the error names one of its libraries, else rebuild it with \`${buildCommand(backend)}\``
    );
    if (failed.length > 0) return cpu(failed.join("; "));
    return cpu(requested === "auto" ? undefined : `no ${backendName[requested]} device found: running on the CPU`);
}

/** The folder node-llama-cpp keeps local builds in (inside the installed package, asar-unpacked when packaged). */
export function localBuildsDir(): string {
    const entry = fileURLToPath(import.meta.resolve("node-llama-cpp"));
    let dir = path.dirname(entry);
    while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return path.join(asarUnpacked(dir), "llama", "localBuilds");
}

const platformName = ({darwin: "mac", win32: "win"} as Record<string, string>)[process.platform] ?? process.platform;

/** Backends whose patched build (`npm run build:native`, marked `kvshare-native.json`) is installed. */
export function installedPatchedBuilds(dir = localBuildsDir()): Set<Backend> {
    const found = new Set<Backend>();
    for (const backend of ["cpu", ...gpuBackends] as Backend[]) {
        const addon = patchedAddon(backend, dir);
        if (fs.existsSync(path.join(path.dirname(addon), "..", "kvshare-native.json")) && fs.existsSync(addon)) found.add(backend);
    }
    return found;
}

/** Where a backend's patched build keeps its addon (`npm run build:native`'s local build folder). */
export function patchedAddon(backend: Backend, dir = localBuildsDir()): string {
    return path.join(dir, [platformName, process.arch, ...(backend === "cpu" ? [] : [backend])].join("-"), "Release", "llama-addon.node");
}

let foundTypes: Promise<GpuBackend[]> | undefined;

/**
 * GPU backends whose runtime libraries exist here (node-llama-cpp's detection), memoised: drivers and
 * toolkits do not come and go while the app runs.
 */
export function foundGpuTypes(): Promise<GpuBackend[]> {
    foundTypes ??= getLlamaGpuTypes("supported").then(
        (types) => types.filter((t): t is GpuBackend => t !== false),
        (error: unknown) => {
            // Not kept: the next load looks again.
            foundTypes = undefined;
            throw error;
        }
    );
    return foundTypes;
}

/** What this machine offers of each GPU backend: found here (`found`, from {@link foundGpuTypes}), and a patched build installed. */
export function gpuBackendSupport(found: readonly GpuBackend[], patched = installedPatchedBuilds()): GpuBackendSupport[] {
    return gpuBackends.map((backend) => ({backend, found: found.includes(backend), patched: patched.has(backend)}));
}

/** Options for loading a binary: the patched local build only, or the stock prebuilt one. */
function llamaOptions(backend: Backend, patched: boolean) {
    return {
        gpu: backend === "cpu" ? (false as const) : backend,
        build: "never" as const,
        usePrebuiltBinaries: !patched,
        // A custom option names a local build folder that never exists, so node-llama-cpp takes its prebuilt binary.
        ...(patched ? {} : {cmakeOptions: {KVSHARE_FORCE_STOCK_BINARY: "1"}}),
        progressLogs: false as const
    };
}

const deviceProbes = new Map<string, Promise<DeviceProbe>>();
let probeScript: string | undefined;

/**
 * The probe runs from a file, not `node -e`: node-llama-cpp tests prebuilt binaries in a forked process,
 * and a fork inherits `-e` with its code instead of running its own file.
 */
function probeScriptFile(): string {
    if (probeScript != null) return probeScript;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-probe-")), "probe.mjs");
    fs.writeFileSync(
        file,
        `const {getLlama, LlamaLogLevel} = await import(${JSON.stringify(import.meta.resolve("node-llama-cpp"))});
const {createRequire} = await import("node:module");
const [backend, options, addon] = JSON.parse(process.argv[2]);
// node-llama-cpp logs why a local build failed to load, then throws a generic NoBinaryFoundError.
let loadError;
console.error = (...args) => void (loadError = args.find((arg) => arg instanceof Error)?.message ?? loadError);
let result;
try {
    const llama = await getLlama({...options, logLevel: LlamaLogLevel.disabled});
    result = {devices: llama.gpu === backend ? await llama.getGpuDeviceNames() : []};
    await llama.dispose();
} catch (error) {
    // Where node-llama-cpp tested the binary in a process of its own first (a build for another system version, a
    // GPU build on Windows), a failure says nothing: loading the addon itself tells a broken build from no device.
    if (loadError == null && addon != null) {
        try {
            createRequire(import.meta.url)(addon);
        } catch (failure) {
            loadError = String(failure?.message ?? failure);
        }
    }
    result = {devices: [], loadError: loadError ?? String(error?.message ?? error)};
}
process.stdout.write("\\n" + JSON.stringify(result) + "\\n");
`
    );
    probeScript = file;
    return file;
}

/**
 * Why a patched binary's load failed, or undefined where it loaded or only found no device (llama.cpp's
 * "device is not supported"; a stock binary without its runtime is the same: no such GPU here).
 */
export function buildLoadError(patched: boolean, loadError: string | undefined): string | undefined {
    if (!patched || loadError == null || /device is not supported|NoBinaryFoundError/i.test(loadError)) return undefined;
    return loadError.split("\n")[0];
}

/**
 * Lists the devices a binary sees, in a child process: two builds of llama.cpp cannot share one process
 * (their libraries have the same names), so nothing is loaded here before the choice is made.
 */
export function probeDevices(backend: GpuBackend, patched: boolean, addon = patched ? patchedAddon(backend) : undefined): Promise<DeviceProbe> {
    const key = `${backend}:${patched}:${addon ?? ""}:${process.env.GGML_VK_VISIBLE_DEVICES ?? ""}:${process.env.VK_ICD_FILENAMES ?? ""}:${process.env.CUDA_VISIBLE_DEVICES ?? ""}`;
    let probe = deviceProbes.get(key);
    if (probe == null) {
        probe = new Promise<DeviceProbe>((resolve) => {
            const child = spawn(process.execPath, [probeScriptFile(), JSON.stringify([backend, llamaOptions(backend, patched), addon ?? null])], {
                env: {...process.env, ELECTRON_RUN_AS_NODE: "1"},
                stdio: ["ignore", "pipe", "ignore"],
                timeout: 60_000
            });
            let out = "";
            child.stdout.on("data", (chunk: Buffer) => void (out += chunk.toString()));
            child.on("error", () => resolve({devices: []}));
            child.on("close", () => {
                try {
                    const found = JSON.parse(out.trim().split("\n").pop() ?? "{}") as {devices?: unknown; loadError?: unknown};
                    const loadError = buildLoadError(patched, typeof found.loadError === "string" ? found.loadError : undefined);
                    resolve({devices: Array.isArray(found.devices) ? found.devices.map(String) : [], ...(loadError == null ? {} : {loadError})});
                } catch {
                    resolve({devices: []});
                }
            });
        });
        deviceProbes.set(key, probe);
    }
    return probe;
}

export interface LoadLlamaOptions {
    gpu: GpuSetting;
    gpuFallback: GpuFallback;
    maxThreads: number;
    logLevel: LlamaLogLevel;
    /** Load the stock binary of the planned backend (diagnostics, fallback tests); default: KVSHARE_STOCK_BINARY=1. */
    forceStock?: boolean;
}

/** Plans (see {@link planBuild}), loads that binary and reports what was loaded. */
export async function loadLlama(options: LoadLlamaOptions): Promise<{llama: Llama; build: LoadedBuild}> {
    if (options.gpu !== "auto" && options.gpu !== false && !gpuBackends.includes(options.gpu))
        throw new Error(`settings.gpu must be "auto", false, "${gpuBackends.join('", "')}"; got ${JSON.stringify(options.gpu)}`);
    if (!gpuFallbacks.includes(options.gpuFallback))
        throw new Error(`settings.gpuFallback must be "${gpuFallbacks.join('" or "')}"; got ${JSON.stringify(options.gpuFallback)}`);
    const patchedBuilds = installedPatchedBuilds();
    let plan = await planBuild({
        requested: options.gpu,
        fallback: options.gpuFallback,
        gpuTypes: options.gpu === "auto" ? await foundGpuTypes() : [],
        patchedBuilds,
        devicesOf: probeDevices
    });
    // Diagnostics and the fallback tests: the stock binary of the planned backend, on request.
    if (options.forceStock ?? process.env.KVSHARE_STOCK_BINARY === "1")
        plan = {
            backend: plan.backend,
            patched: false,
            notice: "the stock node-llama-cpp binary was requested (KVSHARE_STOCK_BINARY=1): semantic KV sharing is off, exact prefix reuse only"
        };
    const load = (p: BuildPlan) => getLlama({...llamaOptions(p.backend, p.patched), maxThreads: options.maxThreads, logLevel: options.logLevel});
    let llama: Llama;
    try {
        llama = await load(plan);
    } catch (error) {
        // A build that will not load (moved, or built for another system): the patched CPU build, else stock.
        const reason = `the ${plan.patched ? "KVShare-patched" : "stock"} ${backendName[plan.backend]} binary did not load (${(error as Error).message})`;
        plan =
            patchedBuilds.has("cpu") && !(plan.backend === "cpu" && plan.patched)
                ? {backend: "cpu", patched: true, notice: `${reason}: running the patched CPU build; run \`${buildCommand(plan.backend)}\``}
                : {
                      backend: "cpu",
                      patched: false,
                      notice: `${reason}: running the stock CPU binary, exact prefix reuse only; run \`${buildCommand(plan.backend)}\``
                  };
        llama = await load(plan);
    }
    const devices = llama.gpu === false ? [] : await llama.getGpuDeviceNames();
    const backend: Backend = llama.gpu === false ? "cpu" : llama.gpu;
    let notice = plan.notice;
    if (backend !== "cpu" && devices.length === 0)
        notice = [notice, `the ${backendName[backend]} binary sees no device: the model runs on the CPU`].filter(Boolean).join("; ");
    return {llama, build: {backend, patched: isPatchedLlama(llama), binary: llama.buildType, devices, ...(notice == null ? {} : {notice})}};
}

/** One line for the log and the UI: "Vulkan, KVShare-patched, on llvmpipe (…)". */
export function describeBuild(build: LoadedBuild): string {
    const where = build.devices.length > 0 ? `on ${build.devices.join(", ")}` : "on the CPU";
    return `${backendName[build.backend]} build, ${build.patched ? "KVShare-patched" : "stock (no KVShare patch)"}, ${where}`;
}
