/**
 * Deviation probes: the target prompt computed through its first layers only, in a scratch sequence, so the
 * recompute policy can measure which reused tokens' KV deviates (KVShare's DHD, stage 1).
 *
 * The native side (`native/addon.patch`, `probeLayerValues`) decodes the tokens into the empty scratch
 * sequence with a graph callback that copies the probed layer's Q, K and V and stops the graph at the next
 * layer, then removes the scratch cells again: the target's own cells are never touched, and the probe costs
 * about (layer + 1) / n_layer of a prefill on a CPU or a fully offloaded GPU.
 */
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {contextLockScope, preventContextDisposal, sequenceEvaluateLockScope, sequenceIdOf, withNlcLocks, type NativeLayerProbe} from "./internals.js";
import {withExclusiveDecode} from "./exclusiveDecode.js";
import {requirePatchedAddon} from "./nativeSupport.js";

/** The model's transformer layer count from its GGUF metadata, when it states one. */
export function modelLayerCount(model: LlamaModel): number | undefined {
    const layers = Number(model.fileInfo.architectureMetadata.block_count);
    return Number.isInteger(layers) && layers > 0 ? layers : undefined;
}

/** One probe's result: the probed layer's rows for every target token, and what it cost. */
export interface LayerProbe extends NativeLayerProbe {
    readonly layer: number;
    readonly tokens: number;
    readonly ms: number;
}

/**
 * Computes `tokens` at positions `0…n−1` through layers `0…layer` in `scratch` (a sequence no request uses;
 * it is left empty) and returns that layer's Q (last token), K and V. No other decode of the context runs
 * meanwhile: the probe holds node-llama-cpp's context lock (the native graph callback serves every decode).
 */
export async function probeLayer(context: LlamaContext, scratch: LlamaContextSequence, tokens: readonly Token[], layer: number): Promise<LayerProbe> {
    const addon = requirePatchedAddon(context);
    if (scratch.context !== context) throw new Error("the scratch sequence must belong to the probed context");
    if (tokens.length === 0) throw new RangeError("nothing to probe");
    return withNlcLocks([sequenceEvaluateLockScope(scratch)], async () => {
        await scratch.clearHistory();
        const started = performance.now();
        const result = await withNlcLocks([contextLockScope(context)], async () => {
            // the native worker decodes on the context: it must not be freed meanwhile (a model switch)
            const keepAlive = preventContextDisposal(context);
            try {
                return await withExclusiveDecode(context.model.llama, () => addon.probeLayerValues(sequenceIdOf(scratch), Uint32Array.from(tokens), layer));
            } finally {
                keepAlive.dispose();
            }
        });
        return {...result, layer, tokens: tokens.length, ms: performance.now() - started};
    });
}
