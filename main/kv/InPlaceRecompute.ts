/**
 * Decode-stage recompute (KVShare v2's DHD stage 2): while an answer is decoded, kept prompt tokens whose donor
 * KV was used as is are recomputed where they are, a few per generated token, so the KV the answer attends to
 * keeps getting closer to a full prefill's.
 *
 * Each step removes the tokens' cells and queues their decode at their own positions through node-llama-cpp's
 * batching, before the next generated token is queued: both go to llama.cpp together where the dispatch finds
 * them in the same cycle (one weight pass for 1 + k tokens). A token recomputed at position p attends to the
 * cells at positions ≤ p, so it sees the prompt as a prefill would, up to the donor KV left before it.
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {contextLockScope, decodeAtPositions, sequenceIdOf, withNlcLocks} from "./internals.js";
import {requirePatchedAddon} from "./nativeSupport.js";
import {relaxPositions} from "./relaxedPositions.js";

/** A token of the sequence at its position (one to recompute in place). */
export interface InPlaceToken {
    readonly position: number;
    readonly token: Token;
}

/**
 * A check before a sampled token is taken, as the decode loop reads it: "fixed" (the KV was recomputed: sample the
 * token again), "continue" (take it; check the next one), "done" (take it; no check will fix anything any more).
 */
export type GuardVerdict = "fixed" | "continue" | "done";

/**
 * How {@link InPlaceRecompute.flush} ended: "done" (every cell recomputed), "stopped" (the caller asked it to yield
 * between two batches: the cells before hold fresh KV, the rest their KV as it was), "failed" (cells were taken out
 * and not computed again: the sequence lost part of its prompt), "deferred" (asked to yield before its first batch:
 * nothing done, and it may run later), "skipped" (it may not run: see `flushable`).
 */
export type FlushOutcome = "done" | "stopped" | "deferred" | "failed" | "skipped";

export class InPlaceRecompute {
    private readonly queue: InPlaceToken[];
    private readonly decoding: Array<Promise<void>> = [];
    private failure: Error | undefined;
    /** Cells recomputed (or being): queued tokens, and at a flush its extra cells too. */
    public recomputed = 0;
    /** Milliseconds the steps held up decoding (cell removal, queueing). */
    public stepMs = 0;

    /** Generated tokens seen (stepped or passed). */
    private seen = 0;
    /** Whether {@link flush} ran (once per answer). */
    private flushed = false;
    /** Positions whose decode went through (cells holding fresh KV). */
    private readonly fresh = new Set<number>();

    /**
     * @param queue tokens in the order they are to be recomputed (the most deviating first)
     * @param perStep how many go with each generated token
     * @param maxSteps generated tokens after which the rest of the queue is dropped
     */
    public constructor(
        private readonly context: LlamaContext,
        private readonly sequence: LlamaContextSequence,
        queue: readonly InPlaceToken[],
        private readonly perStep: number,
        private readonly maxSteps = Number.POSITIVE_INFINITY
    ) {
        this.queue = queue.slice();
    }

    /** A generated token went by without a step (others were waiting): it counts towards `maxSteps` all the same. */
    public pass(): void {
        this.seen++;
    }

    public get remaining(): number {
        return this.queue.length;
    }

    /**
     * Call between generated tokens, while the sequence's own evaluation waits for the caller: recomputes the
     * next tokens of the queue alongside the next generated token.
     */
    public async step(): Promise<void> {
        if (++this.seen > this.maxSteps) this.queue.length = 0;
        if (this.queue.length === 0 || this.failure != null) return;
        const items = this.queue.splice(0, this.perStep);
        this.recomputed += items.length;
        this.decoding.push((await this.recompute(items)).done);
    }

    /** Whether a recompute failed (its cells are gone: the sequence no longer holds its prompt). */
    public get failed(): boolean {
        return this.failure != null;
    }

    /** Whether {@link flush} may still run: once, before the `maxSteps`-th generated token is taken, and not after a failure. */
    public get flushable(): boolean {
        return !this.flushed && this.failure == null && this.seen < this.maxSteps;
    }

    /**
     * Recomputes the whole rest of the queue at once, with `extra` cells (computed over the KV as it was), and waits
     * for it: for a caller about to sample a token that reused KV may decide. Each cell sees the fresh ones before it,
     * so cells after the first wrong one must all be in it. It goes a context batch at a time in position order, each
     * batch's cells taken out just before it is decoded: before each batch `yieldNow` may stop it (a stop, or other
     * requests to serve), and every cell then still holds a token's KV, fresh or as it was.
     */
    public async flush(extra: readonly InPlaceToken[], yieldNow: () => boolean = () => false): Promise<FlushOutcome> {
        if (!this.flushable) return "skipped";
        this.flushed = true;
        // Decoding waits for all of it (earlier steps' recompute included): that wait is the stage's cost too.
        const waiting = performance.now();
        await Promise.all(this.decoding.splice(0));
        this.stepMs += performance.now() - waiting;
        if (this.failure != null) return "failed";
        const queued = this.queue.splice(0);
        const positions = new Set(queued.map((t) => t.position));
        const items = [...queued, ...extra.filter((t) => !positions.has(t.position))].sort((a, b) => a.position - b.position);
        const batch = Math.max(1, this.context.batchSize);
        for (let start = 0; start < items.length; start += batch) {
            if (yieldNow()) {
                // What is left of the queue goes on a few per generated token, as before the flush.
                const left = new Set(items.slice(start).map((t) => t.position));
                this.queue.push(...queued.filter((t) => left.has(t.position)));
                if (start > 0) return "stopped";
                this.flushed = false;
                return "deferred";
            }
            const chunk = items.slice(start, start + batch);
            const {done} = await this.recompute(chunk, true);
            const computing = performance.now();
            await done;
            this.stepMs += performance.now() - computing;
            if (this.failure != null) return "failed";
            this.recomputed += chunk.length;
        }
        return "done";
    }

    /**
     * Removes the tokens' cells and queues their decode at their positions; resolves once they are queued, with
     * `done` for their decode (wrapped: a promise resolved with a promise would wait for it).
     */
    private async recompute(tokens: InPlaceToken[], inTurn = false): Promise<{done: Promise<void>}> {
        // llama.cpp wants a sequence's positions increasing within a batch (and the generated token comes last)
        const items = tokens.sort((a, b) => a.position - b.position);
        const started = performance.now();
        const addon = requirePatchedAddon(this.context);
        const id = sequenceIdOf(this.sequence);
        await relaxPositions(this.context, addon, +1);
        let decoded: Promise<void> | undefined;
        // Contiguous positions go as one decode: node-llama-cpp shares its batches between its items, and a flush's
        // hundreds of single-token items would queue ahead of every other sequence's next token.
        const runs = contiguousRuns(items);
        try {
            await withNlcLocks([contextLockScope(this.context)], () => {
                for (const run of runs) addon.removeTokenCellsFromSequence(id, run.position, run.position + run.tokens.length);
            });
            // Runs of a flush go one after another: node-llama-cpp gives parallel items a share of each batch, so a
            // later run could be computed while an earlier run's cells below it are still missing.
            const decodes = inTurn
                ? runs.reduce<Promise<unknown>>(
                      (before, {position, tokens}) => before.then(() => decodeAtPositions(this.sequence, position, tokens)),
                      Promise.resolve()
                  )
                : Promise.all(runs.map(({position, tokens}) => decodeAtPositions(this.sequence, position, tokens)));
            decoded = decodes.then(
                () => {
                    for (const {position} of items) this.fresh.add(position);
                },
                (error: unknown) => {
                    // The cells are gone: the sequence no longer holds its prompt (see `finish`).
                    this.failure = error as Error;
                }
            );
        } catch (error) {
            this.failure = error as Error;
        } finally {
            this.stepMs += performance.now() - started;
        }
        const release = () => relaxPositions(this.context, addon, -1).catch(() => undefined);
        return {done: decoded == null ? release() : decoded.finally(release)};
    }

    /**
     * Waits for every queued recompute; call before the sequence is used for anything else. With `error`,
     * some removed cells were not recomputed: the sequence lacks part of its prompt and must be cleared, not
     * reused or stored.
     */
    public async finish(): Promise<{tokens: number; ms: number; fresh: ReadonlySet<number>; error?: string}> {
        await Promise.all(this.decoding);
        return {tokens: this.recomputed, ms: this.stepMs, fresh: this.fresh, ...(this.failure == null ? {} : {error: this.failure.message})};
    }
}

/** Sorted tokens as runs of consecutive positions. */
function contiguousRuns(items: readonly InPlaceToken[]): Array<{position: number; tokens: Token[]}> {
    const runs: Array<{position: number; tokens: Token[]}> = [];
    for (const {position, token} of items) {
        const last = runs.at(-1);
        if (last != null && last.position + last.tokens.length === position) last.tokens.push(token);
        else runs.push({position, tokens: [token]});
    }
    return runs;
}
