/**
 * The decode loop's recheck hook on stories260K (any build: nothing here edits KV natively): a token the hook
 * sends back is sampled again from the last token fed, decoded anew at its own position, and the hook is shown
 * the token's probability and the cells decoding computed (but the last one fed) at their positions.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token} from "node-llama-cpp";
import {STORIES_260K} from "../../test/support/testData.js";
import {decode, type ComputedCell} from "./decode.js";
import {defaultSampling, type GenerationJob} from "./types.js";

let model: LlamaModel;
let context: LlamaContext;
let sequence: LlamaContextSequence;
beforeAll(async () => {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
    model = await llama.loadModel({modelPath: STORIES_260K});
    context = await model.createContext({contextSize: 256, sequences: 1, threads: 1});
    sequence = context.getSequence();
});
afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
});

const prompt = (): Token[] => model.tokenize("Once upon a time, there was a little girl named Lily. She loved to play", true);

const greedyJob = (promptTokens: readonly Token[], extra: Partial<GenerationJob> = {}): GenerationJob => ({
    promptTokens,
    maxTokens: 12,
    maxTokensExplicit: true,
    stops: [],
    sampling: {...defaultSampling, temperature: 0},
    signal: new AbortController().signal,
    arrivedAt: performance.now(),
    ...extra
});

/** Decodes the prompt's last `pending` tokens and the answer on a fresh sequence. */
async function answer(pending: number, hooks: Parameters<typeof decode>[4] = {}, extra: Partial<GenerationJob> = {}) {
    const tokens = prompt();
    await sequence.clearHistory();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -pending));
    const decoded = await decode(model, sequence, tokens.slice(-pending), greedyJob(tokens, extra), hooks);
    return {decoded, tokens, fed: sequence.contextTokens.slice()};
}

describe("decode: recheck before a token is taken", () => {
    it("samples a sent-back token again after decoding the last token fed anew: the same greedy answer, the same cells", async () => {
        const plain = await answer(3);
        const seen: Array<{probability: number; taken: number; computed: ComputedCell[]}> = [];
        const sendBack = new Set([0, 4]); // the first token, and the fifth
        const rechecked = await answer(3, {
            recheck: async (probability, taken, computed) => {
                const call = seen.length;
                seen.push({probability, taken, computed: computed().slice()});
                return sendBack.has(call);
            }
        });
        expect(rechecked.decoded.text).toBe(plain.decoded.text);
        expect(rechecked.decoded.completionTokens).toBe(plain.decoded.completionTokens);
        expect(rechecked.fed).toEqual(plain.fed);
        // each sampled token is shown (an end of text too), a sent-back one twice (its step sampled anew)
        expect(seen.length).toBe(plain.decoded.completionTokens + (plain.decoded.finishReason === "stop" ? 1 : 0) + 2);
        for (const {probability} of seen) {
            expect(probability).toBeGreaterThan(0);
            expect(probability).toBeLessThanOrEqual(1);
        }
        const n = rechecked.tokens.length;
        // first call: the pending prompt tokens were computed, the last of them is the one fed last
        expect(seen[0]!.computed).toEqual([
            {position: n - 3, token: rechecked.tokens[n - 3]},
            {position: n - 2, token: rechecked.tokens[n - 2]}
        ]);
        // a later call: the pending tokens and the answer's, but the last answer token (fed last)
        // answer tokens taken before each call: a sent-back token's step is shown again with the same count
        expect(seen.map((c) => c.taken)).toEqual(seen.map((_, call) => (call === 0 ? 0 : call <= 4 ? call - 1 : call - 2)));
        const later = seen.at(-1)!.computed;
        expect(later.length).toBe(2 + seen.at(-1)!.taken);
        expect(later.length).toBeGreaterThan(4);
        expect(later.map((c) => c.position)).toEqual(Array.from({length: later.length}, (_, i) => n - 3 + i));
        expect(later.slice(3).map((c) => c.token)).toEqual(rechecked.fed.slice(n, n + later.length - 3));
    });

    it("does not recheck while scoring the prompt (every prompt token is computed then)", async () => {
        let calls = 0;
        const recheck = async () => (calls++, false);
        await answer(3, {recheck}, {promptLogprobs: true, logprobs: 0});
        expect(calls).toBe(0);
        await answer(3, {recheck});
        expect(calls).toBeGreaterThan(0);
    });
});
