#!/usr/bin/env node
/**
 * Build (or restore from cache) the KVShare-patched node-llama-cpp binaries: the CPU build and the build
 * for the GPU backend this machine can compile (one variant each, each with its own cache key and folder).
 *
 *   node scripts/build-native.mjs            CPU + the GPU variant this machine supports (see below)
 *   node scripts/build-native.mjs --gpu vulkan|cuda|metal|cpu    only that variant
 *   node scripts/build-native.mjs --force    rebuild even if a cached build exists
 *   node scripts/build-native.mjs --check    only report which patched builds are installed (exit 1 if one is missing)
 *   node scripts/build-native.mjs --portable  builds for distribution (packaging CI): node-llama-cpp's CI mode
 *                                            (GGML_NATIVE off, every CPU variant, backends loaded at run time,
 *                                            same folder names); slower to build, own cache keys
 *   node scripts/build-native.mjs --best-effort   on failure warn and exit 0 (the app and tests then use
 *                                                 the stock binary: exact prefix reuse only, editing tests skipped)
 *
 * GPU variant chosen without `--gpu`: Metal on Apple silicon; CUDA where `nvcc` exists; Vulkan where the
 * Vulkan headers, `glslc` and SPIRV-Headers exist (Debian: libvulkan-dev glslc spirv-headers). A machine
 * with a Vulkan loader but without those tools gets the CPU build and a line saying what to install.
 *
 * What it does per variant (idempotent; prints every step):
 * 1. applies native/addon.patch and native/node-llama-cpp-js.patch to node_modules/node-llama-cpp
 *    (pristine copies of the touched files are kept in node_modules/node-llama-cpp/.kvshare-orig and
 *    restored before every application, so a changed patch re-applies cleanly);
 * 2. cache key = sha256(patch files, node-llama-cpp version, platform, arch, CPU flags) for the CPU build
 *    (the build uses GGML_NATIVE, so it is only valid on CPUs with the same instruction set), plus the
 *    backend name and its extra patch for a GPU variant;
 * 3. if node_modules already holds the build for this key: done;
 *    else if ${KVSHARE_NATIVE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/kvshare-native}/<key> exists: copy it in;
 *    else `npx --no-install node-llama-cpp source download --gpu false --skipBuild` (offline: clones llama.cpp
 *    from the git bundle shipped in the npm package), apply native/llama.cpp.patch (and the variant's own
 *    patch) to the clone, `npx --no-install node-llama-cpp source build --gpu <backend> --nu`, and store the
 *    result in the cache;
 * 4. loads the binary in a child process (local build only, never a prebuilt one) and checks the patch.
 * The cache lives outside the clone, so a fresh clone + `npm ci` on the same machine restores in seconds.
 */
import {spawnSync} from "node:child_process";
import {createHash} from "node:crypto";
import fs from "node:fs";
import {createRequire} from "node:module";
import os from "node:os";
import path from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = path.join(repoRoot, "native");
const argv = process.argv.slice(2);
const args = new Set(argv);
const gpuArgIndex = argv.findIndex((a) => a === "--gpu" || a.startsWith("--gpu="));
const gpuArg = gpuArgIndex < 0 ? "auto" : argv[gpuArgIndex].includes("=") ? argv[gpuArgIndex].split("=")[1] : argv[gpuArgIndex + 1];
const log = (msg) => console.log(`[build-native] ${msg}`);

/** Thrown instead of exiting while an optional variant (the GPU one found by `auto`) is built. */
class OptionalVariantFailed extends Error {}
let optionalVariant = false;

function fail(msg) {
    if (optionalVariant) throw new OptionalVariantFailed(msg);
    console.error(`[build-native] ERROR: ${msg}`);
    if (args.has("--best-effort")) {
        console.error("[build-native] --best-effort: continuing with the stock node-llama-cpp binary (no KV editing)");
        process.exit(0);
    }
    process.exit(1);
}

const require = createRequire(path.join(repoRoot, "package.json"));
let nlcDir;
try {
    nlcDir = path.dirname(require.resolve("node-llama-cpp"));
    while (readJson(path.join(nlcDir, "package.json"))?.name !== "node-llama-cpp") {
        if (path.dirname(nlcDir) === nlcDir) throw new Error("package root not found");
        nlcDir = path.dirname(nlcDir);
    }
} catch {
    fail("node-llama-cpp is not installed; run `npm ci` first");
}
const nlcVersion = JSON.parse(fs.readFileSync(path.join(nlcDir, "package.json"), "utf8")).version;
const llamaDir = path.join(nlcDir, "llama");
const localBuildsDir = path.join(llamaDir, "localBuilds");
const MARKER = "kvshare-native.json";

/** Patches applied to the installed package (-p1 in nlcDir). */
const packagePatches = ["addon.patch", "node-llama-cpp-js.patch"];
/** Patch applied to the llama.cpp clone (-p1 in llama/llama.cpp) before building. */
const llamaCppPatch = "llama.cpp.patch";
const allPatches = [...packagePatches, llamaCppPatch];
/**
 * The variants: `gpu` as node-llama-cpp names it, the localBuilds folder it builds into, and the patches
 * applied to the llama.cpp clone on top of llama.cpp.patch (only what that backend needs to compile).
 */
const platformName = {darwin: "mac", win32: "win"}[process.platform] ?? process.platform;
const variants = {
    cpu: {gpu: false, extraPatches: []},
    // Vulkan headers older than 1.3.26x (Debian 12) lack VK_EXT_layer_settings, used only for validation layers
    vulkan: {gpu: "vulkan", extraPatches: ["llama.cpp-vulkan.patch"]},
    cuda: {gpu: "cuda", extraPatches: []},
    metal: {gpu: "metal", extraPatches: []}
};
const folderOf = (variant) => [platformName, process.arch, ...(variant.gpu === false ? [] : [variant.gpu])].join("-");
const backupDir = path.join(nlcDir, ".kvshare-orig");

function runPatch(patchFile, dir, extra) {
    return spawnSync("patch", ["-p1", "--batch", "--silent", "-d", dir, ...extra, "-i", patchFile], {encoding: "utf8"});
}

function filesOfPatch(patchText) {
    return [...patchText.matchAll(/^\+\+\+ b\/(\S+)/gm)].map((m) => m[1]);
}

/** Restore pristine copies (backing them up on first use), then apply the package patches. */
function applyPackagePatches() {
    for (const name of packagePatches) {
        const file = path.join(nativeDir, name);
        for (const rel of filesOfPatch(fs.readFileSync(file, "utf8"))) {
            const live = path.join(nlcDir, rel);
            const backup = path.join(backupDir, rel);
            if (!fs.existsSync(backup)) {
                if (runPatch(file, nlcDir, ["--dry-run", "--forward"]).status !== 0)
                    fail(`${rel} is not pristine and has no backup; reinstall node-llama-cpp (npm ci) and rerun`);
                fs.mkdirSync(path.dirname(backup), {recursive: true});
                fs.copyFileSync(live, backup);
            } else fs.copyFileSync(backup, live);
        }
        const res = runPatch(file, nlcDir, ["--forward", "--no-backup-if-mismatch"]);
        if (res.status !== 0) fail(`patch ${name} does not apply to node-llama-cpp ${nlcVersion}:\n${res.stdout}${res.stderr}`);
        log(`patch ${name}: applied`);
    }
}

function cpuFlags() {
    try {
        const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
        const line = cpuinfo.split("\n").find((l) => /^(flags|Features)\s*:/.test(l)) ?? "";
        return line.split(":")[1]?.trim().split(/\s+/).sort().join(" ") ?? "";
    } catch {
        return os.cpus()[0]?.model ?? "";
    }
}

function cacheKey(variant) {
    const hash = createHash("sha256");
    for (const name of allPatches)
        hash.update(name)
            .update("\0")
            .update(fs.readFileSync(path.join(nativeDir, name)))
            .update("\0");
    hash.update(`node-llama-cpp@${nlcVersion}\0${process.platform}\0${process.arch}\0${cpuFlags()}`);
    // The CPU key stays what it always was (existing caches keep working); GPU variants add their backend.
    if (args.has("--portable")) hash.update("\0portable");
    if (variant.gpu !== false) {
        hash.update(`\0gpu=${variant.gpu}`);
        for (const name of variant.extraPatches)
            hash.update("\0")
                .update(name)
                .update("\0")
                .update(fs.readFileSync(path.join(nativeDir, name)));
    }
    return hash.digest("hex").slice(0, 32);
}

function cacheRoot() {
    if (process.env.KVSHARE_NATIVE_CACHE_DIR) return process.env.KVSHARE_NATIVE_CACHE_DIR;
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "kvshare-native");
}

function readJson(file) {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
        return undefined;
    }
}

/** Files needed at run time: `<folder>/Release/*` (the addon and its shared libraries). */
function copyBuild(fromFolder, toFolder) {
    const tmp = `${toFolder}.tmp-${process.pid}`;
    fs.rmSync(tmp, {recursive: true, force: true});
    fs.mkdirSync(tmp, {recursive: true});
    fs.cpSync(path.join(fromFolder, "Release"), path.join(tmp, "Release"), {recursive: true, verbatimSymlinks: true});
    for (const extra of [MARKER, "buildDone.status"])
        if (fs.existsSync(path.join(fromFolder, extra))) fs.copyFileSync(path.join(fromFolder, extra), path.join(tmp, extra));
    fs.rmSync(toFolder, {recursive: true, force: true});
    fs.renameSync(tmp, toFolder);
}

/** Load the variant's local build (never a prebuilt binary) in a child process and report what it exposes. */
function verifyInstalled(variant) {
    const probe = `
    import { getLlama, LlamaLogLevel } from ${JSON.stringify(pathToFileURL(path.join(nlcDir, "dist", "index.js")).href)};
    const llama = await getLlama({ gpu: ${JSON.stringify(variant.gpu)}, build: "never", usePrebuiltBinaries: false,
      logLevel: LlamaLogLevel.error, progressLogs: false });
    const proto = llama._bindings.AddonContext.prototype;
    console.log(JSON.stringify({ buildType: llama.buildType, gpu: llama.gpu, devices: await llama.getGpuDeviceNames(),
      patched: typeof proto.getKvSharePatchVersion === "function" }));
    await llama.dispose();
  `;
    // From a file, not `node -e`: node-llama-cpp tests some binaries in a fork, which would inherit `-e` and its code.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-verify-")), "verify.mjs");
    fs.writeFileSync(file, probe);
    const res = spawnSync(process.execPath, [file], {cwd: repoRoot, encoding: "utf8"});
    fs.rmSync(path.dirname(file), {recursive: true, force: true});
    const line = res.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        return {buildType: "none", patched: false, error: `${res.stdout}\n${res.stderr}`.trim()};
    }
}

const exists = (file) => fs.existsSync(file);
const onPath = (cmd) =>
    (process.env.PATH ?? "").split(path.delimiter).some((dir) => ["", ".exe"].some((ext) => dir !== "" && exists(path.join(dir, cmd + ext))));

/** Why this machine cannot compile the Vulkan backend, or undefined when it can. */
function vulkanBuildBlocker() {
    const sdk = process.env.VULKAN_SDK;
    const header = [sdk && path.join(sdk, "include"), sdk && path.join(sdk, "Include"), "/usr/include", "/usr/local/include"].some(
        (dir) => dir && exists(path.join(dir, "vulkan", "vulkan.h"))
    );
    const glslc = onPath("glslc") || (sdk != null && ["glslc", "glslc.exe"].some((f) => exists(path.join(sdk, "bin", f)) || exists(path.join(sdk, "Bin", f))));
    const spirv =
        sdk != null ||
        [
            "/usr/share/cmake/SPIRV-Headers",
            "/usr/lib/cmake/SPIRV-Headers",
            "/usr/local/share/cmake/SPIRV-Headers",
            "/opt/homebrew/share/cmake/SPIRV-Headers"
        ].some(exists);
    const missing = [!header && "Vulkan headers", !glslc && "glslc", !spirv && "SPIRV-Headers"].filter(Boolean);
    return missing.length === 0
        ? undefined
        : `missing ${missing.join(", ")} (Debian/Ubuntu: apt-get install libvulkan-dev glslc spirv-headers; Windows/macOS: the LunarG Vulkan SDK)`;
}

function hasVulkanLoader() {
    if (process.platform === "win32") return exists(path.join(process.env.WINDIR ?? "C:\\Windows", "System32", "vulkan-1.dll"));
    return ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"].some((dir) =>
        exists(path.join(dir, "libvulkan.so.1"))
    );
}

const nvcc = () => onPath("nvcc") || exists("/usr/local/cuda/bin/nvcc") || (process.env.CUDA_PATH != null && exists(path.join(process.env.CUDA_PATH, "bin")));

/**
 * An NVIDIA driver (what runs a CUDA build): a compiler alone is not enough, e.g. CI images that carry
 * the CUDA toolkit's pip wheels and no GPU, where a CUDA build would be built for nothing (or fail).
 */
function hasNvidiaDriver() {
    if (process.platform === "win32") return exists(path.join(process.env.WINDIR ?? "C:\\Windows", "System32", "nvcuda.dll"));
    return (
        onPath("nvidia-smi") ||
        ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib"].some((dir) =>
            exists(path.join(dir, "libcuda.so.1"))
        )
    );
}

/** The GPU variant `npm run build:native` builds beside the CPU one on this machine, if any. */
function detectGpuVariant() {
    if (process.platform === "darwin") return process.arch === "arm64" ? "metal" : undefined;
    if (nvcc() && hasNvidiaDriver()) return "cuda";
    if (nvcc()) log("nvcc found but no NVIDIA driver: not building the CUDA variant (`--gpu cuda` builds it anyway)");
    const blocker = vulkanBuildBlocker();
    if (blocker == null) return "vulkan";
    if (hasVulkanLoader())
        log(
            `a Vulkan driver loader is installed but the patched Vulkan build cannot be compiled here: ${blocker}; building the CPU variant only (the app will say so)`
        );
    return undefined;
}

let selected;
if (gpuArg === "auto") {
    const gpu = detectGpuVariant();
    selected = ["cpu", ...(gpu == null ? [] : [gpu])];
} else if (gpuArg === "cpu" || gpuArg === "false") selected = ["cpu"];
else if (gpuArg in variants) selected = [gpuArg];
else fail(`unknown --gpu ${gpuArg}; use one of auto, ${Object.keys(variants).join(", ")}`);

/** Environment of the node-llama-cpp build: no custom cmake options, so the folder name stays `<platform>-<arch>[-gpu]`. */
function buildEnv() {
    // node-llama-cpp honours --ciMode only where CI is set
    const env = {...process.env, ...(args.has("--portable") ? {CI: "true"} : {})};
    for (const name of Object.keys(env))
        if (name.startsWith("NODE_LLAMA_CPP_CMAKE_OPTION_") || /^GGML_(METAL|CUDA|VULKAN|OPENBLAS|BLAS_VENDOR|HIPBLAS)/.test(name)) delete env[name];
    return env;
}

function installedKey(folder) {
    const marker = readJson(path.join(folder, MARKER));
    return exists(path.join(folder, "Release", "llama-addon.node")) ? marker?.key : undefined;
}

/** Restore or build one variant; returns its status line. */
function ensureVariant(name) {
    const variant = variants[name];
    const key = cacheKey(variant);
    const folderName = folderOf(variant);
    const installedFolder = path.join(localBuildsDir, folderName);
    const cacheDir = path.join(cacheRoot(), key);
    const cacheManifest = readJson(path.join(cacheDir, "manifest.json"));
    log(`[${name}] cache key ${key}`);

    if (!args.has("--force") && installedKey(installedFolder) === key) {
        log(`[${name}] patched build already installed in ${path.relative(repoRoot, installedFolder)}`);
    } else if (!args.has("--force") && cacheManifest?.key === key && exists(path.join(cacheDir, "build", "Release", "llama-addon.node"))) {
        const target = path.join(localBuildsDir, cacheManifest.folderName);
        fs.mkdirSync(localBuildsDir, {recursive: true});
        copyBuild(path.join(cacheDir, "build"), target);
        log(`[${name}] restored cached build ${cacheDir} -> ${path.relative(repoRoot, target)}`);
    } else {
        log(`[${name}] building llama.cpp + addon from the sources bundled in node-llama-cpp (offline; see native/README.md for times)...`);
        const started = Date.now();
        const npx = (...cmd) => {
            const res = spawnSync("npx", ["--no-install", "node-llama-cpp", ...cmd], {
                cwd: repoRoot,
                stdio: "inherit",
                env: buildEnv(),
                shell: process.platform === "win32"
            });
            if (res.status !== 0) fail(`[${name}] \`node-llama-cpp ${cmd.join(" ")}\` failed (exit ${res.status})`);
        };
        npx("source", "download", "--gpu", "false", "--skipBuild", "--nu");
        const cloneDir = path.join(llamaDir, "llama.cpp");
        for (const patchName of [llamaCppPatch, ...variant.extraPatches]) {
            const patchRes = runPatch(path.join(nativeDir, patchName), cloneDir, ["--forward", "--no-backup-if-mismatch"]);
            if (patchRes.status !== 0) fail(`patch ${patchName} does not apply to the llama.cpp clone:\n${patchRes.stdout}${patchRes.stderr}`);
            log(`[${name}] patch ${patchName}: applied to ${path.relative(repoRoot, cloneDir)}`);
        }
        npx("source", "build", "--gpu", String(variant.gpu), "--nu", ...(args.has("--portable") ? ["--ciMode"] : []));
        const folder = path.join(localBuildsDir, folderName);
        if (!exists(path.join(folder, "Release", "llama-addon.node"))) fail(`[${name}] build finished but ${path.relative(repoRoot, folder)} holds no addon`);
        fs.writeFileSync(
            path.join(folder, MARKER),
            JSON.stringify({key, gpu: variant.gpu, portable: args.has("--portable"), nodeLlamaCpp: nlcVersion, builtAt: new Date().toISOString()}, null, 2)
        );
        log(`[${name}] built in ${Math.round((Date.now() - started) / 1000)} s: ${path.relative(repoRoot, folder)}`);
        const status = verifyInstalled(variant);
        if (!status.patched) fail(`[${name}] the fresh build does not expose the KVShare patch (loaded: ${status.buildType}) ${status.error ?? ""}`);
        const tmpCache = `${cacheDir}.tmp-${process.pid}`;
        fs.rmSync(tmpCache, {recursive: true, force: true});
        fs.mkdirSync(tmpCache, {recursive: true});
        copyBuild(folder, path.join(tmpCache, "build"));
        fs.writeFileSync(path.join(tmpCache, "manifest.json"), JSON.stringify({key, folderName, gpu: variant.gpu, nodeLlamaCpp: nlcVersion}, null, 2));
        fs.rmSync(cacheDir, {recursive: true, force: true});
        fs.renameSync(tmpCache, cacheDir);
        log(`[${name}] cached the build in ${cacheDir}`);
    }
    // The CPU build stays the one node-llama-cpp's own "lastBuild" lookup finds.
    if (variant.gpu === false) fs.writeFileSync(path.join(llamaDir, "lastBuild.json"), JSON.stringify({folderName}, null, 4));
    const status = verifyInstalled(variant);
    if (!status.patched) fail(`[${name}] KVShare patch not present in the local build (${status.buildType}) ${status.error ?? ""}`);
    const devices = variant.gpu === false ? "CPU" : status.devices?.length ? `devices: ${status.devices.join(", ")}` : "no device of this backend visible now";
    log(`[${name}] OK: the ${folderName} local build loads with the KVShare patch (${devices})`);
}

log(`node-llama-cpp ${nlcVersion}; variants: ${selected.join(", ")}`);

if (args.has("--check")) {
    let ok = true;
    for (const name of selected) {
        const status = verifyInstalled(variants[name]);
        log(
            `[${name}] ${folderOf(variants[name])}: ${status.buildType === "localBuild" ? "local build" : "no local build"}; KVShare patch ${status.patched ? "present" : "ABSENT"}`
        );
        ok &&= status.patched;
    }
    process.exit(ok ? 0 : 1);
}

applyPackagePatches();
for (const name of selected) {
    // With `auto`, only the CPU build is essential: a GPU variant that fails to build leaves the app on
    // the CPU build (it says so and what to run), and the command still succeeds.
    optionalVariant = gpuArg === "auto" && name !== "cpu";
    try {
        ensureVariant(name);
    } catch (error) {
        if (!(error instanceof OptionalVariantFailed)) throw error;
        console.error(`[build-native] WARNING: the ${name} build failed; the app runs on the patched CPU build. ${error.message}`);
    } finally {
        optionalVariant = false;
    }
}
