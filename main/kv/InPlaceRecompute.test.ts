/**
 * The decode stage's in-place recompute on stories260K (patched build): recomputing a prompt token where it
 * is gives the KV a full prefill gives, a few tokens per step, and the stage stops at its cap of generated
 * tokens, counting the tokens that went by without a step.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {InPlaceRecompute} from "./InPlaceRecompute.js";
import type {KvSnapshot} from "./snapshot.js";
import {decodeLlamaSeqState} from "./snapshotFormat.js";
import {readLayerValues} from "./stateValues.js";
import {openStoriesContext, patchedBinaryLoaded, snapshotOf, STORY_A} from "./__tests__/support.js";

const {patched, reason} = await patchedBinaryLoaded();

describe.skipIf(!patched)(`in-place recompute (${reason})`, () => {
    let model: LlamaModel;
    let context: LlamaContext;
    let sequence: LlamaContextSequence;
    let tokens: Token[];

    beforeAll(async () => {
        ({model, context} = await openStoriesContext(1));
        sequence = context.getSequence();
        tokens = model.tokenize(STORY_A, true);
    });
    afterAll(async () => {
        await context?.dispose();
        await model?.dispose();
    });

    /** Largest |difference| of any V value of any layer at the prompt's positions (both must hold them all). */
    const maxValueDifference = (a: KvSnapshot, b: KvSnapshot): number => {
        const layers = model.fileInfo.metadata.llama?.block_count as number;
        let max = 0;
        for (let layer = 0; layer < layers; layer++) {
            const x = readLayerValues(decodeLlamaSeqState(a.payload).stateData, layer);
            const y = readLayerValues(decodeLlamaSeqState(b.payload).stateData, layer);
            const rowOf = new Map<number, number>();
            y.positions.forEach((position, cell) => rowOf.set(position, cell));
            const prompt = [...x.positions].filter((p) => p < tokens.length).sort((p, q) => p - q);
            expect(prompt).toEqual(tokens.map((_, i) => i));
            x.positions.forEach((position, cell) => {
                if (position >= tokens.length) return;
                const other = rowOf.get(position);
                if (other == null) throw new Error(`position ${position} missing`);
                for (let j = 0; j < x.nEmbdV; j++)
                    max = Math.max(max, Math.abs((x.rows[cell * x.nEmbdV + j] as number) - (y.rows[other * y.nEmbdV + j] as number)));
            });
        }
        return max;
    };

    const queueOf = (positions: number[]) => positions.map((position) => ({position, token: tokens[position] as Token}));

    it("recomputes queued prompt tokens in place, perStep with each generated token: the KV is a prefill's again", async () => {
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(tokens);
        const prefill = await snapshotOf(sequence);
        await sequence.clearHistory();
        // as the request path does: the prompt but its last token, then generation, a step after each token
        await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
        const stage = new InPlaceRecompute(context, sequence, queueOf([9, 4, 7, 12, 20]), 2);
        let generated = 0;
        const iterator = sequence.evaluate([tokens.at(-1) as Token], {temperature: 0});
        try {
            for await (const token of iterator) {
                void token;
                if (++generated > 3) break;
                await stage.step();
            }
        } finally {
            await iterator.return();
        }
        expect(stage.remaining).toBe(0);
        expect(await stage.finish()).toEqual({tokens: 5, ms: expect.any(Number), flushed: false});
        // the same tokens at the same positions over the same earlier cells: a prefill's values at every layer
        // (a 1-token batch may round differently from the prefill's)
        expect(maxValueDifference(await snapshotOf(sequence), prefill)).toBeLessThan(1e-2);
    });

    it("flushes the rest of its queue and the cells computed over it in one batch: each sees the fresh cells before it", async () => {
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(tokens);
        const prefill = await snapshotOf(sequence);
        await sequence.clearHistory();
        // a wrong token's KV at position 4 (as reused KV is wrong), and every later cell computed over it
        const wrong = tokens.slice();
        wrong[4] = tokens[5] as Token;
        await sequence.evaluateWithoutGeneratingNewTokens(wrong);
        expect(maxValueDifference(await snapshotOf(sequence), prefill)).toBeGreaterThan(1e-2);
        const stage = new InPlaceRecompute(context, sequence, queueOf([4, 2]), 1);
        await stage.step(); // position 4 first (the queue's order), alone: later cells still saw the wrong one
        expect(stage.flushable).toBe(true);
        const later = tokens.map((token, position) => ({position, token})).slice(5);
        expect(await stage.flush(later)).toBe(true);
        expect(stage.flushable).toBe(false);
        expect(await stage.flush(later)).toBe(false); // once per answer
        expect(await stage.finish()).toEqual({tokens: 2 + later.length, ms: expect.any(Number), flushed: true});
        expect(maxValueDifference(await snapshotOf(sequence), prefill)).toBeLessThan(1e-2);
    });

    it("drops the rest of its queue after maxSteps generated tokens, stepped or passed", async () => {
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(tokens);
        const stage = new InPlaceRecompute(context, sequence, queueOf([3, 5, 8, 13, 21, 30]), 1, 3);
        stage.pass(); // a token while others waited: no recompute, but it counts
        await stage.step();
        await stage.step();
        await stage.step(); // the fourth generated token: past the cap
        expect(stage.remaining).toBe(0);
        expect(await stage.finish()).toEqual({tokens: 2, ms: expect.any(Number), flushed: false});
    });
});
