/**
 * A quantized model (TinyStories-656K, Q8_0) on the build the app loads: users run quantized weights, which on a
 * CPU with AMX tiles go to llama.cpp's AMX buffer and its tile kernels (the patched build is compiled for the
 * machine's own CPU). Those kernels raised SIGILL before the tile-config fix in native/llama.cpp.patch; this file
 * then ended its test worker. Runs with the stock binary too.
 */
import {readFileSync} from "node:fs";
import {mkdtemp, rm} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {LlamaContext, LlamaModel, Token} from "node-llama-cpp";
import {createKvEditingContext} from "./createKvEditingContext.js";
import {modelFingerprint} from "./fingerprint.js";
import {readSnapshot, restoreSnapshot} from "./snapshot.js";
import {greedy, greedyFullPrefill, patchedBinaryLoaded, saveSnapshot, STORY_A, testBuild, TINYSTORIES_656K} from "./__tests__/support.js";

const {reason: binaryReason} = await patchedBinaryLoaded();

/** Whether this CPU offers AMX int8 tiles (Linux's flags; elsewhere false). */
function cpuHasAmx(): boolean {
    try {
        return /\bamx_int8\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
    } catch {
        return false;
    }
}

describe(`a quantized model (Q8_0) (${binaryReason})`, () => {
    let dir: string;
    let model: LlamaModel;
    let context: LlamaContext;
    let tokens: Token[];

    beforeAll(async () => {
        dir = await mkdtemp(path.join(tmpdir(), "kvshare-q8-test-"));
        const {llama} = await testBuild();
        model = await llama.loadModel({modelPath: TINYSTORIES_656K});
        context = await createKvEditingContext(model, {contextSize: 512, sequences: 2, threads: 1});
        tokens = [model.tokens.bos ?? (1 as Token), ...model.tokenize(STORY_A.slice(0, 240), false)];
    });
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
        if (dir != null) await rm(dir, {recursive: true, force: true});
    });

    it("runs through the CPU's AMX kernels where it has them, and the patched build of a CPU backend is built with them", async () => {
        const {llama, build} = await testBuild();
        // Where this holds, every decode below runs the tile kernels (the weights are in the AMX buffer).
        if (cpuHasAmx() && build.patched && build.backend === "cpu") expect(llama.systemInfo).toMatch(/AMX_INT8 = 1/);
        const sequences = [context.getSequence(), context.getSequence()] as const;
        try {
            // Both at once (one batch), and each answer the same 16 tokens of text.
            const [a, b] = await Promise.all(sequences.map((s) => greedyFullPrefill(s, tokens, 16)));
            expect(a).toHaveLength(16);
            expect(b).toEqual(a);
            expect(model.detokenize(a ?? [])).toMatch(/[a-z]{2}/);
        } finally {
            for (const s of sequences) s.dispose();
        }
    });

    it("keeps and restores a prompt's KV: the restored prompt continues exactly like a full prefill", async () => {
        const [seq, reference] = [context.getSequence(), context.getSequence()];
        try {
            await seq.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
            const file = path.join(dir, "q8.kvsnap");
            const fingerprint = await modelFingerprint(TINYSTORIES_656K);
            await saveSnapshot({sequence: seq, filePath: file, modelFingerprint: fingerprint});
            await seq.clearHistory();
            await restoreSnapshot(seq, await readSnapshot(file, {modelFingerprint: fingerprint, context}));
            expect(seq.contextTokens).toEqual(tokens.slice(0, -1));
            expect(await greedy(seq, tokens.slice(-1), 24)).toEqual(await greedyFullPrefill(reference, tokens, 24));
        } finally {
            seq.dispose();
            reference.dispose();
        }
    });
});
