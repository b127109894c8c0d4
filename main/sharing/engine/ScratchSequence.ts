import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {captureForSnapshot, probeLayer, type CapturedState, type LayerProbe} from "../../kv/index.js";

/**
 * A sequence outside the request pool, for KV computed on its own (the admin-marked shared prefixes'
 * donors). One piece of work holds it at a time.
 */
export class ScratchSequence {
    private queue: Promise<unknown> = Promise.resolve();

    public constructor(public readonly sequence: LlamaContextSequence) {}

    /** Runs `work` once the sequence is free. */
    private run<T>(work: (sequence: LlamaContextSequence) => Promise<T>): Promise<T> {
        const run = this.queue.then(() => work(this.sequence));
        this.queue = run.catch(() => undefined);
        return run;
    }

    /** Computes `tokens` through layers 0…`layer` only and returns that layer's rows (a deviation probe); leaves the sequence empty. */
    public probe(tokens: readonly Token[], layer: number): Promise<LayerProbe> {
        return this.run((scratch) => probeLayer(scratch.context, scratch, tokens, layer));
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
