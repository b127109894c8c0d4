/**
 * Snapshots on real models: round trip, and refusal of a foreign model's snapshot, a truncated file
 * and a flipped byte, with the request then served by full prefill (as the app does: a refused donor is
 * dropped and the floor serves). Runs with the stock binary too.
 */
import {mkdtemp, readFile, rm, writeFile} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {createKvEditingContext} from "./createKvEditingContext.js";
import {SnapshotRefusedError} from "./errors.js";
import {modelFingerprint} from "./fingerprint.js";
import {reuseKv} from "./reuse.js";
import {readSnapshot, restoreSnapshot} from "./snapshot.js";
import {greedy, greedyFullPrefill, patchedBinaryLoaded, saveSnapshot, STORIES_260K, STORY_A, testLlama, TINYSTORIES_656K} from "./__tests__/support.js";

const {reason: binaryReason} = await patchedBinaryLoaded();

describe(`KV snapshots (${binaryReason})`, () => {
    let dir: string;
    let model: LlamaModel;
    let context: LlamaContext;
    let seq: LlamaContextSequence;
    let reference: LlamaContextSequence;
    let fingerprint: string;
    let tokens: Token[];
    let goodFile: string;
    let foreignFile: string;

    beforeAll(async () => {
        dir = await mkdtemp(path.join(tmpdir(), "kvshare-snap-test-"));
        const llama = await testLlama();
        model = await llama.loadModel({modelPath: STORIES_260K});
        context = await createKvEditingContext(model, {contextSize: 512, sequences: 2, threads: 1});
        [seq, reference] = [context.getSequence(), context.getSequence()];
        fingerprint = await modelFingerprint(STORIES_260K);
        tokens = [model.tokens.bos ?? (1 as Token), ...model.tokenize(STORY_A, false)];
        await seq.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
        goodFile = path.join(dir, "good.kvsnap");
        await saveSnapshot({sequence: seq, filePath: goodFile, modelFingerprint: fingerprint});

        const otherModel = await llama.loadModel({modelPath: TINYSTORIES_656K});
        const otherContext = await otherModel.createContext({contextSize: 256, threads: 1});
        const otherSeq = otherContext.getSequence();
        await otherSeq.evaluateWithoutGeneratingNewTokens(otherModel.tokenize("Once upon a time there was a cat.", true));
        foreignFile = path.join(dir, "foreign.kvsnap");
        await saveSnapshot({sequence: otherSeq, filePath: foreignFile, modelFingerprint: await modelFingerprint(TINYSTORIES_656K)});
        await otherContext.dispose();
        await otherModel.dispose();
    });
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
        if (dir != null) await rm(dir, {recursive: true, force: true});
    });

    it("fingerprints are sha256 of the model file", async () => {
        expect(fingerprint).toBe("file:sha256:270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d");
        expect(await modelFingerprint(STORIES_260K, "metadata")).toMatch(/^metadata:sha256:[0-9a-f]{64}$/);
    });

    it("round-trips: restored KV continues exactly like a full prefill", async () => {
        const snapshot = await readSnapshot(goodFile, {modelFingerprint: fingerprint, context});
        expect(snapshot.tokens).toEqual(tokens.slice(0, -1));
        await seq.clearHistory();
        await restoreSnapshot(seq, snapshot);
        expect(seq.contextTokens).toEqual(tokens.slice(0, -1));
        const restored = await greedy(seq, tokens.slice(-1), 24);
        expect(restored).toEqual(await greedyFullPrefill(reference, tokens, 24));
    });

    async function expectRefusedAndServedByFullPrefill(file: string, reason: string): Promise<void> {
        await expect(readSnapshot(file, {modelFingerprint: fingerprint, context})).rejects.toSatisfy(
            (err: unknown) => err instanceof SnapshotRefusedError && err.reason === reason
        );
        await seq.clearHistory();
        const report = await reuseKv({context, targetSequence: seq, targetTokens: tokens});
        expect(report.mode).toBe("none");
        expect(report.reusedTokens).toBe(0);
        const served = await greedy(seq, report.pendingTokens, 16);
        expect(served).toEqual(await greedyFullPrefill(reference, tokens, 16));
    }

    it("refuses a snapshot of another model", async () => {
        await expectRefusedAndServedByFullPrefill(foreignFile, "foreign-model");
    });

    it("refuses a truncated file", async () => {
        const bytes = await readFile(goodFile);
        const file = path.join(dir, "truncated.kvsnap");
        await writeFile(file, bytes.subarray(0, bytes.length - 1000));
        await expectRefusedAndServedByFullPrefill(file, "truncated");
    });

    it("refuses a file with one flipped byte (payload or header)", async () => {
        const bytes = await readFile(goodFile);
        const payloadByte = Buffer.from(bytes);
        const i = bytes.length - 2000;
        payloadByte[i] = (payloadByte[i] ?? 0) ^ 0x40;
        const file = path.join(dir, "flipped.kvsnap");
        await writeFile(file, payloadByte);
        await expectRefusedAndServedByFullPrefill(file, "corrupt");
        const headerByte = Buffer.from(bytes);
        headerByte[40] = (headerByte[40] ?? 0) ^ 0x01;
        await writeFile(file, headerByte);
        await expect(readSnapshot(file, {modelFingerprint: fingerprint})).rejects.toBeInstanceOf(SnapshotRefusedError);
    });

    it("serves from a good snapshot file through reuseKv with exact prefix reuse", async () => {
        await seq.clearHistory();
        const target = [...tokens.slice(0, 80), ...model.tokenize(" The end.", false)];
        const snapshot = await readSnapshot(goodFile, {modelFingerprint: fingerprint, context});
        const report = await reuseKv({context, targetSequence: seq, donor: {snapshot}, targetTokens: target});
        expect(report.mode).toBe("prefix");
        expect(report.reason).toMatch(/no edit plan given/);
        expect(report.reusedTokens).toBe(80);
        expect(await greedy(seq, report.pendingTokens, 16)).toEqual(await greedyFullPrefill(reference, target, 16));
    });
});
