/**
 * The wait queue's order (real stories260K context, one sequence): expected reuse first while the prefill
 * rate is unknown; once it is known, the prefill time a reuse saves weighed against the time waited, so
 * reuse that saves little never overtakes an earlier request.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, type LlamaContext, type LlamaContextSequence, type LlamaModel} from "node-llama-cpp";
import {STORIES_260K} from "../../test/support/testData.js";
import {SequencePool, type AdmissionTicket} from "./SequencePool.js";

let model: LlamaModel;
let context: LlamaContext;
let sequence: LlamaContextSequence;
beforeAll(async () => {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
    model = await llama.loadModel({modelPath: STORIES_260K});
    context = await model.createContext({contextSize: 128, sequences: 1, threads: 1});
    sequence = context.getSequence();
});
afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
});

const ticket = (expectedReuse: number, expectedSavedMs?: number): AdmissionTicket => ({
    promptTokens: [],
    scope: "global",
    expectedReuse,
    ...(expectedSavedMs == null ? {} : {expectedSavedMs})
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds the one sequence, queues `early` then (after `gapMs`) `late`, releases: which one is served first. */
async function firstServed(early: AdmissionTicket, late: AdmissionTicket, gapMs: number): Promise<"early" | "late"> {
    const pool = new SequencePool([sequence], () => ({maxQueue: 8, queueTimeoutMs: 10_000, agingMs: 500}));
    const holder = await pool.acquire(ticket(0));
    const order: string[] = [];
    const a = pool.acquire(early).then((lease) => (order.push("early"), lease.release()));
    await sleep(gapMs);
    const b = pool.acquire(late).then((lease) => (order.push("late"), lease.release()));
    holder.release();
    await Promise.all([a, b]);
    return order[0] as "early" | "late";
}

describe("sequence pool order", () => {
    it("serves higher expected reuse first while the prefill rate is unknown", async () => {
        expect(await firstServed(ticket(0), ticket(0.9), 20)).toBe("late");
        expect(await firstServed(ticket(0.9), ticket(0), 20)).toBe("early");
    });

    it("with the rate known, weighs the saved prefill against the time waited", async () => {
        // 0.9 reuse that saves 2 ms does not overtake a request queued 60 ms earlier...
        expect(await firstServed(ticket(0, 0), ticket(0.9, 2), 60)).toBe("early");
        // ...reuse that saves seconds does
        expect(await firstServed(ticket(0, 0), ticket(0.9, 5_000), 60)).toBe("late");
    });
});

describe("forgetting the sequences' KV (a cleared cache, a purged key)", () => {
    it("clears an idle sequence before anyone gets it, and a busy one as its request lets it go", async () => {
        const pool = new SequencePool([sequence], () => ({maxQueue: 8, queueTimeoutMs: 10_000, agingMs: 500}));
        const prompt = model.tokenize("Once upon a time there was a cat");
        const fill = async () => {
            const lease = await pool.acquire({...ticket(0), promptTokens: prompt});
            await lease.sequence.clearHistory();
            await lease.sequence.evaluateWithoutGeneratingNewTokens(prompt);
            return lease;
        };
        // Idle: the next request gets it empty, and not as its scope's own (nothing to keep).
        (await fill()).release();
        pool.forget();
        const next = await pool.acquire({...ticket(0), promptTokens: prompt});
        expect(next.sequence.contextTokens).toEqual([]);
        expect(next.sameScope).toBe(false);
        next.release();

        // Busy: left alone while its request runs, cleared when it is given back.
        const busy = await fill();
        pool.forget();
        expect(busy.sequence.contextTokens.length).toBe(prompt.length);
        busy.release();
        const after = await pool.acquire({...ticket(0), promptTokens: prompt});
        expect(after.sequence.contextTokens).toEqual([]);
        after.release();

        // Twice at once (a clear, then a purge): the second is answered by the clear under way, and the next
        // request's own KV is not dropped when it lets the sequence go.
        (await fill()).release();
        pool.forget();
        pool.forget();
        const kept = await fill();
        kept.release();
        const later = await pool.acquire({...ticket(0), promptTokens: prompt});
        expect(later.sequence.contextTokens.length).toBe(prompt.length);
        later.release();
    });
});
