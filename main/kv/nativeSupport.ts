/**
 * Run-time detection of the KVShare native patch (see native/README.md).
 *
 * The stock node-llama-cpp binary still runs the app; it only lacks the primitives needed to move
 * reused KV to new positions, so callers fall back to exact prefix reuse and report why.
 */
import type { Llama, LlamaContext } from "node-llama-cpp";
import { addonOf, llamaHasKvSharePatch, type AddonContext, type PatchedAddonMethods } from "./internals.js";

/** The native patch version this TypeScript layer was written against. */
export const REQUIRED_KV_PATCH_VERSION = 2;

/** Whether KV editing can be used on a given context, and if not, why. */
export interface KvEditingSupport {
  /** True when the loaded binary has the patch and the context was created with `kvUnified: true`. */
  readonly kvEditingSupported: boolean;
  /** Human-readable reason; always set (also explains a positive answer). */
  readonly reason: string;
  /** Patch version reported by the binary, or `null` for a stock binary. */
  readonly patchVersion: number | null;
}

/** An addon context that has every patched method. */
export type PatchedAddonContext = AddonContext & PatchedAddonMethods;

/** The patch version of the binary behind `context`, or `null` when the binary is stock. */
export function nativePatchVersion(context: LlamaContext): number | null {
  const addon = addonOf(context);
  if (typeof addon.getKvSharePatchVersion !== "function")
    return null;
  return addon.getKvSharePatchVersion();
}

/** True when the binary `llama` was loaded from carries the KVShare patch (before any context exists). */
export function isPatchedLlama(llama: Llama): boolean {
  return llamaHasKvSharePatch(llama);
}

/** True when `addon` has all methods added by the KVShare patch. */
export function isPatchedAddon(addon: AddonContext): addon is PatchedAddonContext {
  return typeof addon.getKvSharePatchVersion === "function" &&
    typeof addon.copySequenceTokenCells === "function" &&
    typeof addon.getKvCacheCanShift === "function" &&
    typeof addon.getKvUnified === "function" &&
    typeof addon.getSequenceStateData === "function" &&
    typeof addon.setSequenceStateData === "function" &&
    typeof addon.setRelaxedPositions === "function";
}

/** Report whether `context` supports KV editing (patched binary, matching version, unified KV). */
export function getKvEditingSupport(context: LlamaContext): KvEditingSupport {
  const addon = addonOf(context);
  if (typeof addon.getKvSharePatchVersion !== "function")
    return {
      kvEditingSupported: false,
      patchVersion: null,
      reason: "stock node-llama-cpp binary (no KVShare patch): only exact prefix reuse is available; run `npm run build:native`"
    };
  const patchVersion = addon.getKvSharePatchVersion();
  if (patchVersion !== REQUIRED_KV_PATCH_VERSION || !isPatchedAddon(addon))
    return {
      kvEditingSupported: false,
      patchVersion,
      reason: `KVShare native patch version ${patchVersion} does not match the expected version ${REQUIRED_KV_PATCH_VERSION}; rebuild with \`npm run build:native\``
    };
  if (!addon.getKvUnified())
    return {
      kvEditingSupported: false,
      patchVersion,
      reason: "context was created without `kvUnified: true` (see createKvEditingContext); partial KV copies between sequences need one unified KV stream"
    };
  return { kvEditingSupported: true, patchVersion, reason: "patched binary with unified KV cache" };
}

/** The patched addon behind `context`; throws when KV editing is not supported there. */
export function requirePatchedAddon(context: LlamaContext): PatchedAddonContext {
  const support = getKvEditingSupport(context);
  const addon = addonOf(context);
  if (!support.kvEditingSupported || !isPatchedAddon(addon))
    throw new Error(`KV editing is not available: ${support.reason}`);
  return addon;
}
