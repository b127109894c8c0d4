/**
 * Recompute policies on the real request path (stories260K, patched binary): the measured policies probe the
 * target's first layers and pick kept tokens by deviation, never inside the exact common prefix (whose KV is
 * exact); `dhd-decode` recomputes more kept tokens in place while decoding, and `dhd-guard` all of them at once
 * before a token that may be a near tie; recomputing every kept token gives what a full prefill gives whatever the
 * policy.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {recomputePolicies, type RecomputePolicy} from "../../shared/settings.js";
import type {GenerationResult} from "../../main/runtime/types.js";
import {defaultSampling} from "../../main/runtime/types.js";
import {startTestServer, type TestServer} from "../support/testServer.js";
import {DECODE_RECOMPUTE_PER_STEP} from "../../main/sharing/policy/index.js";

const story =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. " +
    "One day, she saw a big red ball under a tree. She wanted to play with it, but it was too high. " +
    'Lily asked her mom for help. Her mom smiled and said, "Let us try together." They found a long stick and pushed the ball.';
const inserted = story.replace("One day,", "The sun was warm and the birds sang in the sky. One day,");

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {parallel: 1, sharing: {scopePolicy: "user"}}});
    expect(server.core.requirePipeline().runtime.scratch, "these tests need the patched binary (npm run build:native)").toBeDefined();
    await ask(story, "teacher", {store: true});
    await server.core.requirePipeline().settled();
});
afterAll(async () => {
    await server.close();
});

/** A greedy completion; the prompt is not cached unless `store` says so (every policy then sees the same donor). */
function ask(
    text: string,
    user: string,
    recompute?: {policy?: RecomputePolicy; budget?: number; store?: boolean},
    maxTokens = 12,
    logprobs?: number
): Promise<GenerationResult> {
    return server.core.requirePipeline().complete(
        text,
        {maxTokens, maxTokensExplicit: true, stops: [], sampling: {...defaultSampling, temperature: 0}, ...(logprobs == null ? {} : {logprobs})},
        // As the machine's owner asks (the stage times are the owner's).
        {signal: new AbortController().signal, arrivedAt: performance.now(), user, revealDonor: true, recompute: {store: false, ...recompute}}
    );
}

/** The one sequence is given to another scope (and cleared), so the next request cannot reuse its own prefix. */
async function clearSequence(): Promise<void> {
    await ask("Hello there.", "passer-by", {}, 1);
}

/** Target positions the hit record labels `recomputed`. */
function recomputedPositions(result: GenerationResult): number[] {
    return (result.kvshare.segments ?? []).filter((s) => s.label === "recomputed").flatMap((s) => Array.from({length: s.end - s.start}, (_, i) => s.start + i));
}

describe("recompute policies", () => {
    it("each policy chooses its own kept tokens; the measured ones probe and leave the exact prefix alone", async () => {
        const prefix = server.core.requirePipeline().runtime.model.tokenize(story.slice(0, story.indexOf("One day,")), true).length - 1;
        const seen = new Map<string, string>();
        for (const policy of recomputePolicies) {
            await clearSequence();
            const result = await ask(inserted, "teacher", {policy, budget: 0.3});
            const record = result.kvshare;
            expect(record.mode).toBe("semantic");
            expect(record.recompute_policy).toBe(policy);
            const positions = recomputedPositions(result);
            if (policy === "none")
                expect(record.recomputed_tokens).toBe(1); // the last prompt token only
            else expect(record.recomputed_tokens).toBeGreaterThan(5);
            if (policy === "deviation" || policy === "dhd" || policy === "dhd-decode" || policy === "dhd-guard") {
                expect(record.stages?.probe_ms).toBeGreaterThan(0);
                expect(positions.filter((p) => p < prefix)).toEqual([]);
            }
            if (policy === "dhd-decode" || policy === "dhd-guard") expect(record.decode_recompute?.tokens).toBeGreaterThan(0);
            seen.set(policy, positions.join(","));
        }
        // the measured choice is not the boundary heuristic's, and attention weighting changes it
        expect(seen.get("dhd")).not.toBe(seen.get("boundary"));
        expect(seen.get("dhd")).not.toBe(seen.get("deviation"));
        expect(seen.get("dhd-decode")).toBe(seen.get("dhd"));
        expect(seen.get("dhd-guard")).toBe(seen.get("dhd"));
    });

    it("runs no probe where all that is kept is a common prefix (a prompt asked again or continued): nothing can deviate", async () => {
        for (const text of [story, `${story} Then they went home.`]) {
            await clearSequence();
            const result = await ask(text, "teacher", {policy: "dhd-decode", budget: 0.3});
            const record = result.kvshare;
            expect(record.mode).toBe("semantic");
            expect(record.recompute_policy).toBe("dhd-decode");
            expect(record.runs).toEqual([expect.objectContaining({donor_start: 0, target_start: 0})]);
            expect(record.stages?.probe_ms).toBeUndefined();
            expect(record.recomputed_tokens).toBeLessThanOrEqual(1);
            expect(record.decode_recompute).toBeUndefined();
        }
    });

    it("recomputing every kept token answers as a full prefill does, with each policy", async () => {
        const full = await ask(inserted, "someone-else");
        expect(full.kvshare.mode).not.toBe("semantic");
        for (const policy of ["boundary", "dhd", "dhd-decode", "dhd-guard"] as const) {
            await clearSequence();
            const result = await ask(inserted, "teacher", {policy, budget: 1});
            // at most the exact common prefix is left (its KV is a prefill's already)
            const commonPrefix = result.kvshare.runs?.find((run) => run.donor_start === 0 && run.target_start === 0)?.length ?? 0;
            expect(commonPrefix).toBeGreaterThan(10);
            expect(result.kvshare.reused_tokens).toBeLessThanOrEqual(commonPrefix);
            expect(result.text).toBe(full.text);
        }
    });

    it("recomputes the decode stage's tokens in the same llama.cpp batch as each generated token", async () => {
        await clearSequence();
        const {result, sizes} = await batchSizesOf(() => ask(inserted, "teacher", {policy: "dhd-decode", budget: 0.3}, 8));
        const decoded = result.kvshare.decode_recompute?.tokens ?? 0;
        expect(decoded).toBeGreaterThan(DECODE_RECOMPUTE_PER_STEP);
        // after the edit's batch and the first token's: one batch per generated token, the queued tokens riding along
        const steps = sizes.slice(2);
        expect(steps.filter((size) => size === DECODE_RECOMPUTE_PER_STEP + 1).length).toBe(Math.floor(decoded / DECODE_RECOMPUTE_PER_STEP));
        expect(steps.every((size) => size <= DECODE_RECOMPUTE_PER_STEP + 1)).toBe(true);
    });

    it("stops once its queue is empty: the rest of the answer goes a token per batch", async () => {
        await clearSequence();
        // most of the measured tokens go before the first token, so the few left are done within the answer
        const {result, sizes} = await batchSizesOf(() => ask(inserted, "teacher", {policy: "dhd-decode", budget: 0.6}, 16));
        const decoded = result.kvshare.decode_recompute?.tokens ?? 0;
        expect(decoded).toBeGreaterThan(0);
        const steps = sizes.slice(2);
        const carrying = Math.ceil(decoded / DECODE_RECOMPUTE_PER_STEP);
        expect(steps.length).toBeGreaterThan(carrying);
        expect(steps.slice(0, carrying).reduce((sum, size) => sum + size - 1, 0)).toBe(decoded);
        expect(steps.slice(carrying).every((size) => size === 1)).toBe(true);
    });

    it("dhd-guard: before a token that may be a near tie, recomputes every reused token past the common prefix in one batch, then answers as full prefill does", async () => {
        const full = await ask(inserted, "someone-else", {}, 16);
        await clearSequence();
        const decodeOnly = await ask(inserted, "teacher", {policy: "dhd-decode", budget: 0.05}, 16);
        await clearSequence();
        const {result, sizes} = await batchSizesOf(() => ask(inserted, "teacher", {policy: "dhd-guard", budget: 0.05}, 16));
        const record = result.kvshare;
        expect(record.recompute_policy).toBe("dhd-guard");
        // the prefill is dhd-decode's: same reuse before the first token
        expect(record.reused_tokens).toBe(decodeOnly.kvshare.reused_tokens);
        expect(record.decode_recompute?.flushed_at).toBeGreaterThanOrEqual(0);
        expect(decodeOnly.kvshare.decode_recompute?.flushed_at).toBeUndefined();
        const commonPrefix = record.runs?.find((run) => run.donor_start === 0 && run.target_start === 0)?.length ?? 0;
        expect(commonPrefix).toBeGreaterThan(10);
        // counted once each: every reused token past the common prefix had its KV computed after all
        expect(record.decode_recompute?.tokens).toBe(record.reused_tokens - commonPrefix);
        // one batch held them all (with the cells computed over them)
        expect(Math.max(...sizes)).toBeGreaterThanOrEqual(record.reused_tokens - commonPrefix);
        expect(result.text).toBe(full.text);
    });

    it("dhd-guard takes an unsure token whose runner-up is over a nat behind it over the KV as it is, and recomputes at a near tie", async () => {
        const cut = inserted.slice(0, inserted.indexOf(" They found") + " They found".length);
        const full = await ask(cut, "someone-else", {}, 16);
        await clearSequence();
        const guarded = await ask(cut, "teacher", {policy: "dhd-guard", budget: 0.05}, 16, 2);
        expect(guarded.kvshare.mode).toBe("semantic");
        // the first token (read over the reused KV): unsure (under 62%, where the guard used to recompute for any token),
        // its runner-up over a nat behind
        const first = guarded.logprobs![0]!;
        expect(Math.exp(first.logprob)).toBeLessThan(0.62);
        expect(first.top[0]!.logprob - first.top[1]!.logprob).toBeGreaterThan(1);
        const flushedAt = guarded.kvshare.decode_recompute?.flushed_at;
        expect(flushedAt).toBeGreaterThan(0);
        // the token it recomputed before: a near tie (full prefill's own top two are under a nat apart there too)
        const tie = guarded.logprobs![flushedAt!]!;
        expect(tie.top[0]!.logprob - tie.top[1]!.logprob).toBeLessThan(1);
        expect(guarded.text).toBe(full.text);
    });

    it("dhd-guard leaves the guard (and the decode stage) to an idle machine: while another request waits for the sequence, nothing is recomputed", async () => {
        await clearSequence();
        // one sequence: one request waits for it while the other answers (whichever takes it first)
        const both = await Promise.all([
            ask(inserted, "teacher", {policy: "dhd-guard", budget: 0.05}, 16),
            ask(inserted, "teacher", {policy: "dhd-guard", budget: 0.05}, 16)
        ]);
        const [first, second] = both[0].timings.queueMs <= both[1].timings.queueMs ? both : [both[1], both[0]];
        expect(second.timings.queueMs).toBeGreaterThan(first.timings.queueMs);
        expect(first.kvshare.recompute_policy).toBe("dhd-guard");
        expect(first.kvshare.decode_recompute?.flushed_at).toBeUndefined();
        expect(first.kvshare.decode_recompute?.tokens).toBe(0);
        // alone by then, the second one's guard runs
        expect(second.kvshare.mode).toBe("semantic");
        expect(second.kvshare.decode_recompute?.flushed_at).toBeGreaterThanOrEqual(0);
    });

    it("an answer aborted while its queue runs leaves the prompt's KV whole: the same prompt next reuses all of it", async () => {
        await clearSequence();
        const controller = new AbortController();
        let pieces = 0;
        const aborted = await server.core.requirePipeline().complete(
            inserted,
            {maxTokens: 24, maxTokensExplicit: true, stops: [], sampling: {...defaultSampling, temperature: 0}},
            {
                signal: controller.signal,
                arrivedAt: performance.now(),
                user: "teacher",
                // kept (store), so the sequence is left holding the prompt for this scope's next request
                recompute: {policy: "dhd-decode", budget: 0.05, store: true},
                onText: () => {
                    if (++pieces === 3) controller.abort();
                }
            }
        );
        expect(aborted.finishReason).toBe("aborted");
        expect(aborted.kvshare.mode).toBe("semantic");
        expect(aborted.kvshare.decode_recompute?.tokens).toBeGreaterThan(0);
        const again = await ask(inserted, "teacher", {}, 8);
        expect(again.kvshare.mode).toBe("prefix");
        expect(again.cachedTokens).toBe(again.promptTokens - 1);
        expect(again.completionTokens).toBeGreaterThan(0);
    });
});

/** Every llama.cpp batch the context builds while `run` runs, by size (node-llama-cpp starts each with initBatch). */
async function batchSizesOf<T>(run: () => Promise<T>): Promise<{result: T; sizes: number[]}> {
    const context = server.core.requirePipeline().runtime.context as unknown as {_ctx: object};
    const real = context._ctx;
    const sizes: number[] = [];
    context._ctx = new Proxy(real, {
        get(target, key) {
            const value = Reflect.get(target, key) as unknown;
            if (typeof value !== "function") return value;
            if (key === "initBatch")
                return (size: number) => {
                    sizes.push(size);
                    return (value as (size: number) => unknown).call(target, size);
                };
            return (value as (...args: unknown[]) => unknown).bind(target);
        }
    });
    try {
        return {result: await run(), sizes};
    } finally {
        context._ctx = real;
    }
}

describe("dhd-guard on a machine answering another request", () => {
    let two: TestServer;
    beforeAll(async () => {
        two = await startTestServer({overrides: {parallel: 2, sharing: {scopePolicy: "user"}}});
        await askOf(two, story, "teacher", {store: true});
        await two.core.requirePipeline().settled();
    });
    afterAll(async () => {
        await two?.close();
    });

    function askOf(
        on: TestServer,
        text: string,
        user: string,
        recompute: {policy?: RecomputePolicy; budget?: number; store?: boolean},
        maxTokens = 16,
        extra: {logitBias?: ReadonlyMap<number, number>; onText?: () => void} = {}
    ): Promise<GenerationResult> {
        return on.core.requirePipeline().complete(
            text,
            {
                maxTokens,
                maxTokensExplicit: true,
                stops: [],
                sampling: {...defaultSampling, temperature: 0, ...(extra.logitBias == null ? {} : {logitBias: extra.logitBias})}
            },
            {
                signal: new AbortController().signal,
                arrivedAt: performance.now(),
                user,
                revealDonor: true,
                recompute: {store: false, ...recompute},
                ...(extra.onText == null ? {} : {onText: extra.onText})
            }
        );
    }

    it("leaves the guard's recompute (a prefill's worth) to a machine with nothing else to do", async () => {
        // Another person's long answer on the other sequence (the end of text banned, so it runs for seconds).
        let streaming!: () => void;
        const started = new Promise<void>((resolve) => (streaming = resolve));
        let longEnded = 0;
        const long = askOf(two, "Tom had a red kite.", "student", {policy: "none"}, 1500, {logitBias: new Map([[2, -100]]), onText: () => streaming()}).then(
            (result) => {
                longEnded = performance.now();
                return result;
            }
        );
        await started;
        const guarded = await askOf(two, inserted, "teacher", {policy: "dhd-guard", budget: 0.05});
        const guardedEnded = performance.now();
        expect(guarded.kvshare.mode).toBe("semantic");
        expect(guarded.kvshare.recompute_policy).toBe("dhd-guard");
        expect(guarded.kvshare.decode_recompute?.flushed_at).toBeUndefined();
        expect((await long).completionTokens).toBe(1500);
        expect(longEnded).toBeGreaterThan(guardedEnded);
        // alone, the same request's guard runs
        const alone = await askOf(two, inserted, "teacher", {policy: "dhd-guard", budget: 0.05});
        expect(alone.kvshare.mode).toBe("semantic");
        expect(alone.kvshare.decode_recompute?.flushed_at).toBeGreaterThanOrEqual(0);
    });
});
