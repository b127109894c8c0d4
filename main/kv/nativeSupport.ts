/**
 * Run-time detection of the KVShare native patch (see native/README.md).
 *
 * The stock node-llama-cpp binary still runs the app; it only lacks the primitives needed to move
 * reused KV to new positions, so callers fall back to exact prefix reuse and report why.
 * What a context supports cannot change during its life, so it is worked out once per context (and the
 * patch check once per `Llama`), not on every request.
 */
import type {Llama, LlamaContext} from "node-llama-cpp";
import {addonOf, llamaHasKvSharePatch, type AddonContext, type PatchedAddonMethods} from "./internals.js";

/** The native patch version this TypeScript layer was written against. */
export const REQUIRED_KV_PATCH_VERSION = 3;

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

interface NativeSupport {
    readonly support: KvEditingSupport;
    /** The addon when it has every patched method (whatever its version), else undefined. */
    readonly patchedAddon: PatchedAddonContext | undefined;
}

const perContext = new WeakMap<LlamaContext, NativeSupport>();
const perLlama = new WeakMap<Llama, boolean>();

/** True when the binary `llama` was loaded from carries the KVShare patch (before any context exists). */
export function isPatchedLlama(llama: Llama): boolean {
    let patched = perLlama.get(llama);
    if (patched == null) {
        patched = llamaHasKvSharePatch(llama);
        perLlama.set(llama, patched);
    }
    return patched;
}

/** Report whether `context` supports KV editing (patched binary, matching version, unified KV). */
export function getKvEditingSupport(context: LlamaContext): KvEditingSupport {
    return nativeSupportOf(context).support;
}

/**
 * The addon behind `context` when it has every method of the KVShare patch (in-memory state copies),
 * else `undefined`. Unlike {@link requirePatchedAddon} it does not need unified KV or the required version.
 */
export function patchedAddonOf(context: LlamaContext): PatchedAddonContext | undefined {
    return nativeSupportOf(context).patchedAddon;
}

/** The patched addon behind `context`; throws when KV editing is not supported there. */
export function requirePatchedAddon(context: LlamaContext): PatchedAddonContext {
    const {support, patchedAddon} = nativeSupportOf(context);
    if (!support.kvEditingSupported || patchedAddon == null) throw new Error(`KV editing is not available: ${support.reason}`);
    return patchedAddon;
}

function nativeSupportOf(context: LlamaContext): NativeSupport {
    let known = perContext.get(context);
    if (known == null) {
        known = detect(addonOf(context));
        perContext.set(context, known);
    }
    return known;
}

function isPatchedAddon(addon: AddonContext): addon is PatchedAddonContext {
    return (
        typeof addon.getKvSharePatchVersion === "function" &&
        typeof addon.copySequenceTokenCells === "function" &&
        typeof addon.getKvCacheCanShift === "function" &&
        typeof addon.getKvUnified === "function" &&
        typeof addon.getSequenceStateData === "function" &&
        typeof addon.setSequenceStateData === "function" &&
        typeof addon.setRelaxedPositions === "function"
    );
}

function detect(addon: AddonContext): NativeSupport {
    const patchedAddon = isPatchedAddon(addon) ? addon : undefined;
    if (typeof addon.getKvSharePatchVersion !== "function")
        return {
            patchedAddon,
            support: {
                kvEditingSupported: false,
                patchVersion: null,
                reason: "stock node-llama-cpp binary (no KVShare patch): only exact prefix reuse is available; run `npm run build:native`"
            }
        };
    const patchVersion = addon.getKvSharePatchVersion();
    if (patchVersion !== REQUIRED_KV_PATCH_VERSION || patchedAddon == null)
        return {
            patchedAddon,
            support: {
                kvEditingSupported: false,
                patchVersion,
                reason: `KVShare native patch version ${patchVersion} does not match the expected version ${REQUIRED_KV_PATCH_VERSION}; rebuild with \`npm run build:native\``
            }
        };
    if (!patchedAddon.getKvUnified())
        return {
            patchedAddon,
            support: {
                kvEditingSupported: false,
                patchVersion,
                reason: "context was created without `kvUnified: true` (see createKvEditingContext); partial KV copies between sequences need one unified KV stream"
            }
        };
    return {patchedAddon, support: {kvEditingSupported: true, patchVersion, reason: "patched binary with unified KV cache"}};
}
