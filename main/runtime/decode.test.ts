/**
 * The decode loop's recheck hook on stories260K (any build: nothing here edits KV natively): a token the hook
 * sends back is sampled again from the last token fed, decoded anew at its own position, and the hook is shown
 * the token's probability and the cells decoding computed (but the last one fed) at their positions.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {openStoriesContext} from "../kv/__tests__/support.js";
import type {GuardVerdict, InPlaceToken} from "../kv/index.js";
import {decode} from "./decode.js";
import {defaultSampling, type GenerationJob} from "./types.js";

let model: LlamaModel;
let context: LlamaContext;
let sequence: LlamaContextSequence;
beforeAll(async () => {
    ({model, context} = await openStoriesContext(1));
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

describe("decode: timing", () => {
    it("times the pending tokens' decode apart from what follows it: after the call starts, before the first token is handed on", async () => {
        const tokens = prompt();
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
        const started = performance.now();
        let hookAt = 0;
        let hookDone = 0;
        const decoded = await decode(model, sequence, tokens.slice(-1), greedyJob(tokens), {
            // a slow hook at the end of prefill (storing the prompt's KV): in the time to the first token, not in the pass
            onPrefilled: async () => {
                hookAt = performance.now();
                await new Promise((resolve) => setTimeout(resolve, 50));
                hookDone = performance.now();
            }
        });
        expect(decoded.pendingDecodedAt).toBeGreaterThan(started);
        expect(decoded.pendingDecodedAt).toBeLessThanOrEqual(hookAt);
        expect(decoded.firstTokenAt).toBeGreaterThanOrEqual(hookDone);
        expect(decoded.completionTokens).toBeGreaterThan(0);
    });
});

describe("decode: recheck before a token is taken", () => {
    /** A recheck that answers each call from `verdicts` (then "continue"), recording what it was shown. */
    const scripted = (verdicts: readonly GuardVerdict[]) => {
        const seen: Array<{probability: number; taken: number; computed: InPlaceToken[]}> = [];
        const recheck = async (probability: number, taken: number, computed: () => readonly InPlaceToken[]): Promise<GuardVerdict> => {
            seen.push({probability, taken, computed: computed().slice()});
            return verdicts[seen.length - 1] ?? "continue";
        };
        return {seen, recheck};
    };

    it("samples a token sent back ('fixed') again after decoding the last token fed anew: the same greedy answer, the same cells; then checks no more", async () => {
        const plain = await answer(3);
        const late = scripted(["continue", "continue", "continue", "continue", "fixed"]);
        const rechecked = await answer(3, {recheck: late.recheck});
        expect(rechecked.decoded.text).toBe(plain.decoded.text);
        expect(rechecked.decoded.tokens).toEqual(plain.decoded.tokens);
        expect(rechecked.fed).toEqual(plain.fed);
        // five calls: the fifth fixed the KV, once per answer
        expect(late.seen.map((c) => c.taken)).toEqual([0, 1, 2, 3, 4]);
        for (const {probability} of late.seen) {
            expect(probability).toBeGreaterThan(0);
            expect(probability).toBeLessThanOrEqual(1);
        }
        const n = rechecked.tokens.length;
        // first call: the pending prompt tokens were computed, the last of them is the one fed last
        expect(late.seen[0]!.computed).toEqual([
            {position: n - 3, token: rechecked.tokens[n - 3]},
            {position: n - 2, token: rechecked.tokens[n - 2]}
        ]);
        // the fifth: the pending tokens and the four answer tokens, but the last of them (fed last)
        const fifth = late.seen[4]!.computed;
        expect(fifth.map((c) => c.position)).toEqual(Array.from({length: 6}, (_, i) => n - 3 + i));
        expect(fifth.slice(3).map((c) => c.token)).toEqual(plain.decoded.tokens.slice(0, 3));

        const first = scripted(["fixed"]);
        const again = await answer(3, {recheck: first.recheck});
        expect(first.seen.length).toBe(1);
        expect(again.decoded.tokens).toEqual(plain.decoded.tokens);
        expect(again.fed).toEqual(plain.fed);
    });

    it("a stop during the recompute ends the answer there, the last cell fed (computed over the KV as it was) taken out", async () => {
        const controller = new AbortController();
        const {decoded, tokens, fed} = await answer(
            1,
            {
                recheck: async (_probability, taken) => {
                    if (taken < 2) return "continue";
                    controller.abort();
                    return "fixed";
                }
            },
            {signal: controller.signal}
        );
        expect(decoded.finishReason).toBe("aborted");
        expect(decoded.tokens.length).toBe(2);
        // the prompt and the first answer token; the second (fed last) is out
        expect(fed).toEqual([...tokens, decoded.tokens[0]]);
    });

    it("reads by how many nats a token leads its runner-up (the step's distribution says the same), and the answer and its cells stay a plain answer's", async () => {
        const plain = await answer(3, {}, {logprobs: 2});
        const margins: number[] = [];
        const reading = await answer(3, {
            recheck: async (_probability, _taken, _computed, margin) => {
                margins.push(await margin());
                return "continue";
            }
        });
        expect(reading.decoded.tokens).toEqual(plain.decoded.tokens);
        expect(reading.fed).toEqual(plain.fed);
        const steps = plain.decoded.logprobs!;
        expect(margins.length).toBe(steps.length);
        steps.forEach((step, i) => {
            const [first, second] = step.top;
            expect(first!.logprob).toBeCloseTo(step.logprob, 5);
            // the margin's step is decoded again, in a batch of its own: a GPU backend's arithmetic differs in the last digits
            expect(margins[i]).toBeCloseTo(first!.logprob - second!.logprob, 2);
        });
        // the prompt has near ties and clear steps both
        expect(margins.some((m) => m < 1)).toBe(true);
        expect(margins.some((m) => m > 1)).toBe(true);
    });

    it("a stop during a margin read ends the answer at that token, every cell fed once", async () => {
        const controller = new AbortController();
        const {decoded, tokens, fed} = await answer(
            1,
            {
                recheck: async (_probability, taken, _computed, margin) => {
                    if (taken === 2) {
                        const read = margin();
                        controller.abort();
                        await read;
                    }
                    return "continue";
                }
            },
            {signal: controller.signal}
        );
        expect(decoded.finishReason).toBe("aborted");
        expect(decoded.tokens.length).toBe(2);
        expect(fed).toEqual([...tokens, ...decoded.tokens]);
    });

    it("after 'done' takes the token and reads no more probabilities: the same answer", async () => {
        const plain = await answer(1);
        const done = scripted(["continue", "done"]);
        const checked = await answer(1, {recheck: done.recheck});
        expect(done.seen.length).toBe(2);
        expect(checked.decoded.tokens).toEqual(plain.decoded.tokens);
        expect(checked.fed).toEqual(plain.fed);
    });

    it("rechecks greedy answers only, and not while scoring the prompt (every prompt token is computed then)", async () => {
        const scoring = scripted([]);
        await answer(3, {recheck: scoring.recheck}, {promptLogprobs: true, logprobs: 0});
        expect(scoring.seen.length).toBe(0);
        const sampling = scripted([]);
        await answer(3, {recheck: sampling.recheck}, {sampling: {...defaultSampling, temperature: 0.8, seed: 7}});
        expect(sampling.seen.length).toBe(0);
        const greedy = scripted([]);
        await answer(3, {recheck: greedy.recheck});
        expect(greedy.seen.length).toBeGreaterThan(0);
    });
});
