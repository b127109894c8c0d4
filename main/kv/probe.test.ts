/**
 * The deviation probe (native/addon.patch `probeLayerValues`) against a full prefill of the same tokens on
 * stories260K: the probed layer's V must be the V a full prefill caches, the scratch sequence is left
 * empty, other sequences' KV is untouched, and the layer-0 probe stops the graph early.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {createKvEditingContext} from "./createKvEditingContext.js";
import {decodeLlamaSeqState} from "./snapshotFormat.js";
import {probeLayer} from "./probe.js";
import {readLayerValues} from "./stateValues.js";
import {greedy, greedyFullPrefill, openStoriesContext, patchedBinaryLoaded, snapshotOf, STORY_A} from "./__tests__/support.js";

const {patched, reason} = await patchedBinaryLoaded();

describe.skipIf(!patched)(`layer probe (${reason})`, () => {
    let model: LlamaModel;
    let context: LlamaContext;
    let main: LlamaContextSequence;
    let scratch: LlamaContextSequence;
    let tokens: Token[];

    beforeAll(async () => {
        ({model, context} = await openStoriesContext(2));
        main = context.getSequence();
        scratch = context.getSequence();
        tokens = model.tokenize(STORY_A, true);
    });
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
    });

    it("returns, for every layer, the V rows a full prefill caches, and RoPE'd K/Q of the right shape", async () => {
        await main.clearHistory();
        await main.evaluateWithoutGeneratingNewTokens(tokens);
        const {stateData} = decodeLlamaSeqState((await snapshotOf(main)).payload);
        const layers = model.fileInfo.metadata.llama?.block_count as number;
        expect(layers).toBeGreaterThan(1);
        for (let layer = 0; layer < layers; layer++) {
            const probe = await probeLayer(context, scratch, tokens, layer);
            const cached = readLayerValues(stateData, layer, layers);
            expect(probe.v.length).toBe(tokens.length * probe.nEmbdV);
            expect(cached.nEmbdV).toBe(probe.nEmbdV);
            expect(probe.k.length).toBe(tokens.length * probe.nHeadKv * probe.headDim);
            expect(probe.q.length).toBe(probe.nHead * probe.headDim);
            expect(probe.stoppedEarly).toBe(layer < layers - 1);
            let worst = 0;
            let scale = 0;
            for (let cell = 0; cell < cached.positions.length; cell++) {
                const position = cached.positions[cell] as number;
                for (let j = 0; j < probe.nEmbdV; j++) {
                    const a = probe.v[position * probe.nEmbdV + j] as number;
                    const b = cached.rows[cell * probe.nEmbdV + j] as number;
                    worst = Math.max(worst, Math.abs(a - b));
                    scale = Math.max(scale, Math.abs(b));
                }
            }
            // the cache holds F16: the probe's F32 rows round to it
            expect(scale).toBeGreaterThan(0);
            expect(worst).toBeLessThan(scale * 2e-3 + 1e-3);
        }
    });

    it("leaves the scratch sequence empty and other sequences' KV as it was", async () => {
        const prompt = tokens.slice(0, 40);
        const expected = await greedyFullPrefill(main, prompt, 12);
        await main.clearHistory();
        await main.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
        await probeLayer(context, scratch, tokens, 1);
        expect(scratch.nextTokenIndex).toBe(0);
        expect(await greedy(main, prompt.slice(-1), 12)).toEqual(expected);
    });

    it("reads V rows stored untransposed too (flash attention)", async () => {
        const flash = await createKvEditingContext(model, {contextSize: 512, sequences: 2, threads: 1, flashAttention: true});
        try {
            expect(flash.flashAttention).toBe(true); // llama.cpp then stores V untransposed
            const [own, probeSequence] = [flash.getSequence(), flash.getSequence()];
            await own.evaluateWithoutGeneratingNewTokens(tokens);
            const cached = readLayerValues(decodeLlamaSeqState((await snapshotOf(own)).payload).stateData, 1);
            const probe = await probeLayer(flash, probeSequence, tokens, 1);
            const cell = cached.positions.indexOf(7);
            const fresh = probe.v.slice(7 * probe.nEmbdV, 8 * probe.nEmbdV);
            const stored = cached.rows.slice(cell * probe.nEmbdV, (cell + 1) * probe.nEmbdV);
            fresh.forEach((value, j) => expect(Math.abs(value - (stored[j] as number))).toBeLessThan(Math.abs(value) * 2e-3 + 1e-3));
        } finally {
            await flash.dispose();
        }
    });

    it("refuses state bytes whose layer count is not the model's", async () => {
        await main.clearHistory();
        await main.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 8));
        const {stateData} = decodeLlamaSeqState((await snapshotOf(main)).payload);
        const layers = model.fileInfo.metadata.llama?.block_count as number;
        expect(() => readLayerValues(stateData, 1, layers + 1)).toThrow(/layers/);
        expect(() => readLayerValues(stateData.slice(0, 40), 1)).toThrow(/ends early/);
    });

    it("refuses a layer the model does not have", async () => {
        await expect(probeLayer(context, scratch, tokens, 999)).rejects.toThrow(/layer/);
    });
});
