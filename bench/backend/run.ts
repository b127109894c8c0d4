/**
 * `npm run bench:backend` — prefill and decode speed of every llama.cpp build this machine can load,
 * side by side on one model: the patched CPU build, the patched GPU build, and node-llama-cpp's stock GPU
 * binary (what `gpuFallback: "stock-gpu"` runs). With KV sharing's measured gains (README, bench:share:
 * TTFT at most ~3–4× better than prefix reuse, decode unchanged) this is the data behind gpuFallback's default.
 *
 * Flags: --model FILE (default: the ~0.5 B dummy model of bench:kv), --prompt N (512), --decode N (32),
 * --threads N (2), --gpu vulkan|cuda|metal (default: the patched GPU build installed, else vulkan).
 * Each build runs in its own process (two llama.cpp builds cannot share one). A patched build also times a decode
 * right after a donor edit moved the prompt's cells (llama.cpp re-rotates them first) against one after nothing moved,
 * and a deviation probe against a prefill of the same tokens (on a GPU the probe's stop ends only its graph split).
 */
import {spawnSync} from "node:child_process";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {ensureDummyModel} from "../dummyModel/generate.js";
import {installedPatchedBuilds, type GpuBackend} from "../../main/runtime/nativeBuild.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1]! : def;
};
const installed = installedPatchedBuilds();
const gpu = arg("gpu", (["cuda", "vulkan", "metal"] as GpuBackend[]).find((b) => installed.has(b)) ?? "vulkan") as GpuBackend;
const model = process.argv.includes("--model") ? arg("model", "") : ensureDummyModel().file;
const [prompt, decode, threads] = [arg("prompt", "512"), arg("decode", "32"), arg("threads", "2")];
const env = {...process.env, ...(gpu === "vulkan" ? {GGML_VK_VISIBLE_DEVICES: process.env.GGML_VK_VISIBLE_DEVICES ?? "0"} : {})};

console.log(`model ${path.basename(model)}, ${prompt}-token prompt, ${decode} decoded tokens, ${threads} threads`);
const rows: {name: string; prefill: number; decode: number}[] = [];

/** A deviation probe's time against a prefill of the same tokens, and the share of the layers it computes. */
function probeText(p: {probeMs: number; prefillMs: number; tokens: number; layer: number; layers: number}): string {
    const share = (100 * (p.probeMs / p.prefillMs)).toFixed(1);
    const layersShare = (100 * ((p.layer + 1) / p.layers)).toFixed(1);
    return `a probe through layers 0–${p.layer} of ${p.tokens} tokens ${p.probeMs.toFixed(1)} ms against a prefill of them ${p.prefillMs.toFixed(1)} ms (${share}%; ${p.layer + 1} of ${p.layers} layers: ${layersShare}%)`;
}
for (const [backend, kind] of [
    ["cpu", "patched"],
    [gpu, "patched"],
    [gpu, "stock"]
] as const) {
    const name = `${backend} ${kind}`;
    if (kind === "patched" && !installed.has(backend)) {
        console.log(`${name.padEnd(16)} not installed (npm run build:native${backend === "cpu" ? "" : ` -- --gpu ${backend}`})`);
        continue;
    }
    const res = spawnSync(
        process.execPath,
        [path.resolve(here, "../../node_modules/tsx/dist/cli.mjs"), path.join(here, "measure.ts"), backend, kind, model, prompt, decode, threads],
        {env, encoding: "utf8", timeout: 1_800_000}
    );
    const line = res.stdout.trim().split("\n").pop() ?? "";
    let result: {
        build: {backend: string; patched: boolean; devices: string[]};
        prefillTokensPerS: number;
        decodeTokensPerS: number;
        movedCellsDecodeMs?: number;
        decodeMs?: number;
        probe?: {probeMs: number; prefillMs: number; tokens: number; layer: number; layers: number};
        decodeBatchMs?: Record<string, number>;
    };
    try {
        result = JSON.parse(line);
    } catch {
        console.log(`${name.padEnd(16)} failed: ${(res.stderr || res.stdout).trim().split("\n").slice(-3).join(" | ")}`);
        continue;
    }
    const where = result.build.devices.length > 0 ? result.build.devices.join(", ") : "CPU";
    console.log(
        `${name.padEnd(16)} loaded ${result.build.backend} ${result.build.patched ? "patched" : "stock"} on ${where}: ` +
            `prefill ${result.prefillTokensPerS.toFixed(1)} tok/s, decode ${result.decodeTokensPerS.toFixed(1)} tok/s` +
            (result.movedCellsDecodeMs == null
                ? ""
                : `; a decode right after a donor edit moved the prompt's cells ${result.movedCellsDecodeMs.toFixed(1)} ms, after nothing moved ${result.decodeMs!.toFixed(1)} ms (${(result.movedCellsDecodeMs / result.decodeMs!).toFixed(2)}×)`) +
            (result.probe == null ? "" : `; ${probeText(result.probe)}`) +
            (result.decodeBatchMs == null
                ? ""
                : `; a decode batch of k tokens: ${Object.entries(result.decodeBatchMs)
                      .map(([k, ms]) => `${k} → ${ms.toFixed(1)} ms`)
                      .join(", ")}`)
    );
    rows.push({name, prefill: result.prefillTokensPerS, decode: result.decodeTokensPerS});
}
const cpu = rows.find((r) => r.name === "cpu patched");
for (const row of rows.filter((r) => r !== cpu && cpu != null))
    console.log(`${row.name} ÷ cpu patched: prefill ${(row.prefill / cpu!.prefill).toFixed(2)}×, decode ${(row.decode / cpu!.decode).toFixed(2)}×`);
