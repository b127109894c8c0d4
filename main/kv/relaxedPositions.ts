/**
 * llama.cpp's consecutive-position check (relaxed by native/llama.cpp.patch) is a per-context switch; several
 * edits and in-place recomputes may need it at once, so it is held by a count.
 */
import type {LlamaContext} from "node-llama-cpp";
import {contextLockScope, withNlcLocks} from "./internals.js";
import type {PatchedAddonContext} from "./nativeSupport.js";

/** Edits computing now, per context: llama.cpp's position check stays relaxed while any is. */
const relaxedHolders = new WeakMap<LlamaContext, number>();

/**
 * Relaxes llama.cpp's consecutive-position check while at least one edit computes (several edits'
 * compute runs may be in one batch, with other sequences' ordinary tokens, which the relaxed check
 * accepts as well).
 */
export async function relaxPositions(context: LlamaContext, addon: PatchedAddonContext, change: 1 | -1): Promise<void> {
    await withNlcLocks([contextLockScope(context)], () => {
        const before = relaxedHolders.get(context) ?? 0;
        const after = Math.max(0, before + change);
        relaxedHolders.set(context, after);
        if ((before === 0) !== (after === 0)) addon.setRelaxedPositions(after > 0);
    });
}
