import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {captureForSnapshot, type CapturedState} from "../../kv/index.js";

/**
 * The working sequence of KV editing: a donor's KV is loaded and re-positioned here before it is
 * copied into the target. One piece of work holds it at a time.
 */
export class ScratchSequence {
    private queue: Promise<unknown> = Promise.resolve();
    private waiting = 0;

    public constructor(public readonly sequence: LlamaContextSequence) {}

    /** Pieces of work queued for or holding the sequence (the cost gate's expected wait). */
    public get inFlight(): number {
        return this.waiting;
    }

    /** Runs `work` once the sequence is free. */
    public run<T>(work: (sequence: LlamaContextSequence) => Promise<T>): Promise<T> {
        this.waiting++;
        const run = this.queue.then(() => work(this.sequence)).finally(() => this.waiting--);
        this.queue = run.catch(() => undefined);
        return run;
    }

    /** Computes the KV of `tokens` alone and captures it (a shared prefix's donor); leaves the sequence empty. */
    public prefill(tokens: readonly Token[]): Promise<CapturedState> {
        return this.run(async (scratch) => {
            await scratch.clearHistory();
            try {
                await scratch.evaluateWithoutGeneratingNewTokens([...tokens]);
                return await captureForSnapshot(scratch);
            } finally {
                await scratch.clearHistory();
            }
        });
    }
}
