/**
 * Snapshots across backends: KV saved by another backend's build (a child process: two llama.cpp builds
 * cannot share one process) restores byte for byte into this one when the KV types match, and is refused
 * with a reason naming both backends when they do not.
 */
import {spawnSync} from "node:child_process";
import {mkdtemp, rm} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import type {LlamaContext, LlamaContextSequence, LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {testBackend} from "../../test/support/backend.js";
import {installedPatchedBuilds, probeDevices} from "../runtime/nativeBuild.js";
import {createKvEditingContext} from "./createKvEditingContext.js";
import {SnapshotRefusedError} from "./errors.js";
import {modelFingerprint} from "./fingerprint.js";
import {captureSequenceState, readSnapshot, restoreSnapshot} from "./snapshot.js";
import {decodeLlamaSeqState} from "./snapshotFormat.js";
import {greedy, STORIES_260K, testBuild} from "./__tests__/support.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
/** The other backend this machine can run with a patched build: Vulkan from a CPU run, the CPU from a GPU run. */
const other = testBackend === "cpu" ? "vulkan" : "cpu";
const otherEnv = {
    ...process.env,
    KVSHARE_TEST_BACKEND: other,
    ...(other === "vulkan" ? {GGML_VK_VISIBLE_DEVICES: process.env.GGML_VK_VISIBLE_DEVICES ?? "0"} : {})
};
async function otherAvailable(): Promise<boolean> {
    if (!installedPatchedBuilds().has(other)) return false;
    if (other === "cpu") return true;
    const saved = process.env.GGML_VK_VISIBLE_DEVICES;
    process.env.GGML_VK_VISIBLE_DEVICES = otherEnv.GGML_VK_VISIBLE_DEVICES;
    try {
        return (await probeDevices("vulkan", true)).devices.length > 0;
    } finally {
        if (saved == null) delete process.env.GGML_VK_VISIBLE_DEVICES;
        else process.env.GGML_VK_VISIBLE_DEVICES = saved;
    }
}
const available = (await testBuild()).build.patched && (await otherAvailable());

// Skipped (and listed as skipped) where no patched build of the other backend has a device; CI has both.
describe.runIf(available)(`snapshots made on ${other}, restored on ${testBackend}`, () => {
    let dir: string;
    let file: string;
    let model: LlamaModel;
    let context: LlamaContext;
    let sequence: LlamaContextSequence;
    let fingerprint: string;

    beforeAll(async () => {
        dir = await mkdtemp(path.join(tmpdir(), "kvshare-cross-"));
        file = path.join(dir, "other.kvsnap");
        const child = spawnSync(process.execPath, [path.join(repoRoot, "node_modules/tsx/dist/cli.mjs"), path.join(here, "__tests__/makeSnapshot.ts"), file], {
            cwd: repoRoot,
            env: otherEnv,
            encoding: "utf8",
            timeout: 300_000
        });
        expect(child.status, child.stderr).toBe(0);
        expect(JSON.parse(child.stdout.trim().split("\n").pop()!)).toMatchObject({backend: other, patched: true});
        model = await (await testBuild()).llama.loadModel({modelPath: STORIES_260K});
        context = await createKvEditingContext(model, {contextSize: 512, sequences: 2, threads: 1});
        sequence = context.getSequence();
        fingerprint = await modelFingerprint(STORIES_260K);
    }, 300_000);
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
        if (dir != null) await rm(dir, {recursive: true, force: true});
    });

    it("records the backend and KV types, and restores the KV bytes identically", async () => {
        const snapshot = await readSnapshot(file, {modelFingerprint: fingerprint, context});
        expect(snapshot.header.backend).toBe(other);
        expect(snapshot.header.contextParams).toMatchObject({kvCacheKeyType: "F16", kvCacheValueType: "F16"});
        await restoreSnapshot(sequence, snapshot);
        expect(sequence.contextTokens).toEqual(snapshot.tokens);
        const {payload} = await captureSequenceState(sequence);
        expect(Buffer.compare(decodeLlamaSeqState(payload).stateData, decodeLlamaSeqState(snapshot.payload).stateData)).toBe(0);
        expect((await greedy(sequence, [model.tokenize(" The", false)[0]!], 4)).length).toBe(4);
    });

    it("refuses it for a context with other KV types, naming both backends", async () => {
        const f32 = await model.createContext({contextSize: 256, threads: 1, experimentalKvCacheKeyType: "F32"});
        try {
            await expect(readSnapshot(file, {modelFingerprint: fingerprint, context: f32})).rejects.toSatisfy(
                (err: unknown) =>
                    err instanceof SnapshotRefusedError &&
                    err.reason === "incompatible-context" &&
                    err.message.includes(`made on ${other}`) &&
                    err.message.includes(`(${testBackend})`) &&
                    err.message.includes("F32")
            );
        } finally {
            await f32.dispose();
        }
    });
});
