/**
 * The decode stage's in-place recompute on stories260K (patched build): recomputing a prompt token where it
 * is gives the KV a full prefill gives, a few tokens per step, and the stage stops at its cap of generated
 * tokens, counting the tokens that went by without a step.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {createKvEditingContext} from "./createKvEditingContext.js";
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
        expect(await stage.finish()).toEqual({tokens: 5, ms: expect.any(Number), fresh: new Set([9, 4, 7, 12, 20])});
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
        expect(await stage.flush(later)).toBe("done");
        expect(stage.flushable).toBe(false);
        expect(await stage.flush(later)).toBe("skipped"); // once per answer
        const done = await stage.finish();
        expect(done).toEqual({tokens: 2 + later.length, ms: expect.any(Number), fresh: expect.any(Set)});
        expect([...done.fresh].sort((a, b) => a - b)).toEqual([2, 4, ...later.map((t) => t.position)]);
        expect(maxValueDifference(await snapshotOf(sequence), prefill)).toBeLessThan(1e-2);
    });

    it("a flush goes a context batch at a time and yields between two: the cells before hold fresh KV, the rest theirs as it was", async () => {
        const small = await createKvEditingContext(model, {contextSize: 512, batchSize: 8, sequences: 1, threads: 1});
        try {
            const own = small.getSequence();
            const wrong = tokens.slice();
            wrong[4] = tokens[5] as Token;
            await own.evaluateWithoutGeneratingNewTokens(wrong);
            const before = await snapshotOf(own);
            const stage = new InPlaceRecompute(small, own, queueOf([30, 4, 25]), 1);
            let asked = 0;
            const rest = tokens.map((token, position) => ({position, token})).slice(5);
            // asked to yield before its first batch: nothing done, and it may run later
            expect(await stage.flush(rest, () => true)).toBe("deferred");
            expect(stage.flushable).toBe(true);
            expect(stage.remaining).toBe(3);
            // asked before each batch; yields the third time: after two batches of 8 (positions 4–19)
            expect(await stage.flush(rest, () => ++asked === 3)).toBe("stopped");
            expect(asked).toBe(3);
            expect(stage.flushable).toBe(false);
            // the queued tokens past the stop stay queued, in their order, for the steps after
            expect(stage.remaining).toBe(2);
            // (one step's decode at a time, as each goes with a generated token's)
            await stage.step();
            expect(stage.remaining).toBe(1);
            expect((await stage.finish()).error).toBeUndefined();
            await stage.step();
            const done = await stage.finish();
            expect(done.error).toBeUndefined();
            expect([...done.fresh].sort((a, b) => a - b)).toEqual([...Array.from({length: 16}, (_, i) => 4 + i), 25, 30]);
            // every position still holds a cell (the sequence holds its whole prompt), and the ones past the stop (but
            // those stepped) the KV they had
            const after = readLayerValues(decodeLlamaSeqState((await snapshotOf(own)).payload).stateData, 0);
            const old = readLayerValues(decodeLlamaSeqState(before.payload).stateData, 0);
            expect([...after.positions].sort((a, b) => a - b)).toEqual(tokens.map((_, i) => i));
            const row = (values: typeof after, position: number) => {
                const cell = [...values.positions].indexOf(position);
                return [...values.rows.slice(cell * values.nEmbdV, (cell + 1) * values.nEmbdV)];
            };
            expect(row(after, 31)).toEqual(row(old, 31));
            expect(row(after, 4)).not.toEqual(row(old, 4));
        } finally {
            await small.dispose();
        }
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
        expect(await stage.finish()).toEqual({tokens: 2, ms: expect.any(Number), fresh: new Set([3, 5])});
    });
});
