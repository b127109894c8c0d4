#!/usr/bin/env node
/**
 * Build (or restore from cache) the KVShare-patched node-llama-cpp binary.
 *
 *   node scripts/build-native.mjs            apply patches, restore from cache or build, verify
 *   node scripts/build-native.mjs --force    rebuild even if a cached build exists
 *   node scripts/build-native.mjs --check    only report whether the patched binary is installed
 *   node scripts/build-native.mjs --best-effort   on failure warn and exit 0 (the app and tests then use
 *                                                 the stock binary: exact prefix reuse only, editing tests skipped)
 *
 * What it does (idempotent; prints every step):
 * 1. applies native/addon.patch and native/node-llama-cpp-js.patch to node_modules/node-llama-cpp
 *    (pristine copies of the touched files are kept in node_modules/node-llama-cpp/.kvshare-orig and
 *    restored before every application, so a changed patch re-applies cleanly);
 * 2. cache key = sha256(patch files, node-llama-cpp version, platform, arch, CPU flags) — the build
 *    uses GGML_NATIVE, so it is only valid on CPUs with the same instruction set;
 * 3. if node_modules already holds the build for this key: done;
 *    else if ${KVSHARE_NATIVE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/kvshare-native}/<key> exists: copy it in;
 *    else `npx --no-install node-llama-cpp source download --gpu false --skipBuild` (offline: clones llama.cpp
 *    from the git bundle shipped in the npm package), apply native/llama.cpp.patch to the clone,
 *    `npx --no-install node-llama-cpp source build --gpu false --nu` (~5–10 min on 2 cores), and store the
 *    result in the cache;
 * 4. loads the binary in a child process and checks that the patch is present.
 * The cache lives outside the clone, so a fresh clone + `npm ci` on the same machine restores in seconds.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = path.join(repoRoot, "native");
const args = new Set(process.argv.slice(2));
const log = (msg) => console.log(`[build-native] ${msg}`);

function fail(msg) {
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
    if (path.dirname(nlcDir) === nlcDir)
      throw new Error("package root not found");
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
const backupDir = path.join(nlcDir, ".kvshare-orig");

function runPatch(patchFile, dir, extra) {
  return spawnSync("patch", ["-p1", "--batch", "--silent", "-d", dir, ...extra, "-i", patchFile], { encoding: "utf8" });
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
        fs.mkdirSync(path.dirname(backup), { recursive: true });
        fs.copyFileSync(live, backup);
      } else
        fs.copyFileSync(backup, live);
    }
    const res = runPatch(file, nlcDir, ["--forward", "--no-backup-if-mismatch"]);
    if (res.status !== 0)
      fail(`patch ${name} does not apply to node-llama-cpp ${nlcVersion}:\n${res.stdout}${res.stderr}`);
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

function cacheKey() {
  const hash = createHash("sha256");
  for (const name of allPatches)
    hash.update(name).update("\0").update(fs.readFileSync(path.join(nativeDir, name))).update("\0");
  hash.update(`node-llama-cpp@${nlcVersion}\0${process.platform}\0${process.arch}\0${cpuFlags()}`);
  return hash.digest("hex").slice(0, 32);
}

function cacheRoot() {
  if (process.env.KVSHARE_NATIVE_CACHE_DIR)
    return process.env.KVSHARE_NATIVE_CACHE_DIR;
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
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  fs.cpSync(path.join(fromFolder, "Release"), path.join(tmp, "Release"), { recursive: true, verbatimSymlinks: true });
  for (const extra of [MARKER, "buildDone.status"])
    if (fs.existsSync(path.join(fromFolder, extra)))
      fs.copyFileSync(path.join(fromFolder, extra), path.join(tmp, extra));
  fs.rmSync(toFolder, { recursive: true, force: true });
  fs.renameSync(tmp, toFolder);
}

/** Load the binary in a child process and report the patch version it exposes. */
function verifyInstalled() {
  const probe = `
    import { getLlama, LlamaLogLevel } from "node-llama-cpp";
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
    const proto = llama._bindings.AddonContext.prototype;
    console.log(JSON.stringify({ buildType: llama.buildType, patched: typeof proto.getKvSharePatchVersion === "function" }));
    await llama.dispose();
  `;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: repoRoot, encoding: "utf8" });
  const line = res.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    return { buildType: "unknown", patched: false, error: `${res.stdout}\n${res.stderr}` };
  }
}

const key = cacheKey();
log(`node-llama-cpp ${nlcVersion}, cache key ${key}`);

if (args.has("--check")) {
  const status = verifyInstalled();
  log(`loaded binary: ${status.buildType}; KVShare patch ${status.patched ? "present" : "ABSENT"}`);
  process.exit(status.patched ? 0 : 1);
}

applyPackagePatches();

const lastBuild = readJson(path.join(llamaDir, "lastBuild.json"));
const installedFolder = lastBuild?.folderName != null ? path.join(localBuildsDir, lastBuild.folderName) : undefined;
const cacheDir = path.join(cacheRoot(), key);
const cacheManifest = readJson(path.join(cacheDir, "manifest.json"));

if (!args.has("--force") && installedFolder != null && readJson(path.join(installedFolder, MARKER))?.key === key &&
    fs.existsSync(path.join(installedFolder, "Release", "llama-addon.node"))) {
  log(`patched build already installed in ${path.relative(repoRoot, installedFolder)}`);
} else if (!args.has("--force") && cacheManifest?.key === key && fs.existsSync(path.join(cacheDir, "build", "Release", "llama-addon.node"))) {
  const target = path.join(localBuildsDir, cacheManifest.folderName);
  fs.mkdirSync(localBuildsDir, { recursive: true });
  copyBuild(path.join(cacheDir, "build"), target);
  fs.writeFileSync(path.join(llamaDir, "lastBuild.json"), JSON.stringify({ folderName: cacheManifest.folderName }, null, 4));
  log(`restored cached build ${cacheDir} -> ${path.relative(repoRoot, target)}`);
} else {
  log("building llama.cpp + addon from the sources bundled in node-llama-cpp (offline; ~9 min on 2 cores)...");
  const started = Date.now();
  const npx = (...cmd) => {
    const res = spawnSync("npx", ["--no-install", "node-llama-cpp", ...cmd], { cwd: repoRoot, stdio: "inherit" });
    if (res.status !== 0)
      fail(`\`node-llama-cpp ${cmd.join(" ")}\` failed (exit ${res.status})`);
  };
  npx("source", "download", "--gpu", "false", "--skipBuild", "--nu");
  const cloneDir = path.join(llamaDir, "llama.cpp");
  const patchRes = runPatch(path.join(nativeDir, llamaCppPatch), cloneDir, ["--forward", "--no-backup-if-mismatch"]);
  if (patchRes.status !== 0)
    fail(`patch ${llamaCppPatch} does not apply to the llama.cpp clone:\n${patchRes.stdout}${patchRes.stderr}`);
  log(`patch ${llamaCppPatch}: applied to ${path.relative(repoRoot, cloneDir)}`);
  npx("source", "build", "--gpu", "false", "--nu");
  const built = readJson(path.join(llamaDir, "lastBuild.json"));
  if (built?.folderName == null)
    fail("build finished but llama/lastBuild.json is missing");
  const folder = path.join(localBuildsDir, built.folderName);
  fs.writeFileSync(path.join(folder, MARKER), JSON.stringify({ key, nodeLlamaCpp: nlcVersion, builtAt: new Date().toISOString() }, null, 2));
  log(`built in ${Math.round((Date.now() - started) / 1000)} s: ${path.relative(repoRoot, folder)}`);
  const status = verifyInstalled();
  if (!status.patched)
    fail(`the fresh build does not expose the KVShare patch (loaded: ${status.buildType}) ${status.error ?? ""}`);
  const tmpCache = `${cacheDir}.tmp-${process.pid}`;
  fs.rmSync(tmpCache, { recursive: true, force: true });
  fs.mkdirSync(tmpCache, { recursive: true });
  copyBuild(folder, path.join(tmpCache, "build"));
  fs.writeFileSync(path.join(tmpCache, "manifest.json"), JSON.stringify({ key, folderName: built.folderName, nodeLlamaCpp: nlcVersion }, null, 2));
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.renameSync(tmpCache, cacheDir);
  log(`cached the build in ${cacheDir}`);
}

const status = verifyInstalled();
if (!status.patched)
  fail(`KVShare patch not present in the loaded binary (${status.buildType}) ${status.error ?? ""}`);
log(`OK: getLlama({gpu: false}) loads the ${status.buildType} binary with the KVShare patch`);
