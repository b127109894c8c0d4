/**
 * Architecture guards: KV editing moves cached keys to new positions (RoPE re-rotation via
 * llama.cpp's K-shift). Models whose KV cannot be shifted must use exact prefix reuse instead.
 */
import type {LlamaContext, LlamaModel} from "node-llama-cpp";
import {patchedAddonOf} from "./nativeSupport.js";

/** Outcome of the shiftability check for one model/context. */
export interface KvShiftability {
    /** True when cached KV of this model may be moved to other positions. */
    readonly canShift: boolean;
    /** Why not (or a short confirmation when it can). */
    readonly reason: string;
}

/** Architectures with multi-dimensional RoPE (M-RoPE / interleaved M-RoPE): `llama_memory_can_shift` is false. */
const MROPE_ARCHITECTURES = new Set(["qwen2vl", "qwen3vl", "qwen3vlmoe"]);
/** Architectures node-llama-cpp or llama.cpp refuse to shift for other reasons (MLA cache, Step-3.5). */
const UNSHIFTABLE_ARCHITECTURES = new Set(["deepseek2", "step35"]);

interface ArchMetadata {
    rope?: {dimension_sections?: unknown};
}

/**
 * Decide whether KV editing may be used for `model` (and, when given, `context`).
 *
 * Refuses: recurrent and hybrid memories (Mamba, RWKV, Jamba, Qwen3-Next …), M-RoPE models,
 * architectures known not to shift, and sliding-window-attention models whose context does not keep
 * the full cache (`swaFullCache`). With a patched binary the native `llama_memory_can_shift` answer
 * is consulted too.
 */
export function checkKvShiftability(
    model: LlamaModel,
    options: {
        /** The context the edit would run in (consults the native check when the binary is patched). */
        readonly context?: LlamaContext;
        /** Whether that context was created with `swaFullCache: true` (node-llama-cpp has no getter for it). */
        readonly swaFullCache?: boolean;
    } = {}
): KvShiftability {
    const {context, swaFullCache = false} = options;
    const insights = model.fileInsights;
    const arch = String(model.fileInfo.metadata?.general?.architecture ?? "");
    if (insights.isRecurrent) return {canShift: false, reason: `architecture "${arch}" has a recurrent memory (no positional KV to move)`};
    if (insights.isHybrid) return {canShift: false, reason: `architecture "${arch}" has a hybrid recurrent/attention memory`};
    const archMetadata = model.fileInfo.architectureMetadata as ArchMetadata | undefined;
    if (MROPE_ARCHITECTURES.has(arch) || archMetadata?.rope?.dimension_sections != null)
        return {canShift: false, reason: `architecture "${arch}" uses multi-dimensional RoPE (M-RoPE), which llama.cpp cannot shift`};
    if (UNSHIFTABLE_ARCHITECTURES.has(arch)) return {canShift: false, reason: `architecture "${arch}" does not support KV shifting`};
    const swaSize = insights.swaSize;
    if (swaSize != null && swaSize > 0 && !swaFullCache)
        return {
            canShift: false,
            reason: `architecture "${arch}" uses sliding-window attention (window ${swaSize}) and the context does not keep the full cache (swaFullCache)`
        };
    if (context != null) {
        const addon = patchedAddonOf(context);
        if (addon != null && !addon.getKvCacheCanShift())
            return {canShift: false, reason: `llama.cpp reports that the KV cache of "${arch}" cannot be shifted`};
    }
    return {canShift: true, reason: `architecture "${arch}" has a shiftable KV cache`};
}
