/**
 * Typed access to the node-llama-cpp 3.21.1 internals that the KV editing layer relies on.
 *
 * Everything that reaches below node-llama-cpp's public API lives in this file, so that a
 * node-llama-cpp upgrade has exactly one place to review. The fields used here are marked
 * `@internal` in node-llama-cpp's typings and are therefore absent from its `.d.ts` files.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Llama, LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";

/** Native methods added by `native/addon.patch` (present only in the patched binary). */
export interface PatchedAddonMethods {
  getKvSharePatchVersion(): number;
  copySequenceTokenCells(srcSequenceId: number, dstSequenceId: number, startPos: number, endPos: number): void;
  getKvCacheCanShift(): boolean;
  getKvUnified(): boolean;
  getSequenceStateData(sequenceId: number): Uint8Array;
  setSequenceStateData(sequenceId: number, data: Uint8Array): number;
  /** Patch v2: relax llama.cpp's "positions must continue the sequence" batch check (native/llama.cpp.patch). */
  setRelaxedPositions(relaxed: boolean): void;
}

/** Native methods present in the stock addon that this layer uses. */
export interface StockAddonMethods {
  removeTokenCellsFromSequence(sequenceId: number, startPos: number, endPos: number): boolean;
  shiftSequenceTokenCells(sequenceId: number, startPos: number, endPos: number, shiftDelta: number): void;
  getSequenceKvCacheMinPosition(sequenceId: number): number;
  getSequenceKvCacheMaxPosition(sequenceId: number): number;
  disposeSequence(sequenceId: number): void;
}

export type AddonContext = StockAddonMethods & Partial<PatchedAddonMethods>;

interface ContextInternals {
  _ctx: AddonContext;
  _decodeTokens(
    item: {
      sequenceId: number;
      firstTokenSequenceIndex: number;
      tokens: Token[];
      logits: boolean[];
      evaluationPriority?: number;
      tokenMeter: unknown;
    },
    logitDataMapper: (batchLogitIndex: number, tokenIndex: number) => unknown
  ): Promise<unknown[]>;
}

interface SequenceInternals {
  _sequenceId: number;
  _lock: object;
  _contextTokens: Token[];
  _nextTokenIndex: number;
  _loadedTokenPredictions: unknown[];
  _tokenMeter: unknown;
  _contextShift: unknown;
  _decodeTokens(
    tokens: Token[],
    logits: boolean[],
    evaluationPriority: number,
    tokenMeter: unknown,
    contextShiftOptions: unknown,
    logitDataMapper: (batchLogitIndex: number, tokenIndex: number) => unknown,
    afterBatchAction?: unknown
  ): Promise<unknown[]>;
}

/** The native addon context behind a {@link LlamaContext}. */
export function addonOf(context: LlamaContext): AddonContext {
  return (context as unknown as ContextInternals)._ctx;
}

/** The native sequence id of a {@link LlamaContextSequence}. */
export function sequenceIdOf(sequence: LlamaContextSequence): number {
  return (sequence as unknown as SequenceInternals)._sequenceId;
}

/**
 * Overwrite node-llama-cpp's bookkeeping of which tokens a sequence's KV cache holds.
 * Must be called whenever the native KV of the sequence was changed behind node-llama-cpp's back.
 */
export function setSequenceTokenState(sequence: LlamaContextSequence, tokens: readonly Token[]): void {
  const internals = sequence as unknown as SequenceInternals;
  internals._contextTokens = tokens.slice();
  internals._nextTokenIndex = tokens.length;
  internals._loadedTokenPredictions.length = 0;
}

/**
 * Decode `tokens` at the end of `sequence` (positions `nextTokenIndex ...`) without producing logits.
 * Uses node-llama-cpp's own batching, so it interleaves safely with other sequences' decodes.
 */
export async function decodeAtEnd(sequence: LlamaContextSequence, tokens: readonly Token[]): Promise<void> {
  if (tokens.length === 0)
    return;
  const internals = sequence as unknown as SequenceInternals;
  await internals._decodeTokens(
    tokens.slice(),
    tokens.map(() => false),
    5, // node-llama-cpp's default evaluation priority
    internals._tokenMeter,
    internals._contextShift,
    () => undefined
  );
}

/**
 * Queue `tokens` for decoding into `sequence` at explicit positions `firstPosition …` (no logits) through
 * node-llama-cpp's context batching; node-llama-cpp's token bookkeeping of the sequence is not touched.
 * Runs queued in the same tick share a batch. Positions that do not continue the sequence need the
 * relaxed-position patch to be switched on.
 */
export function decodeAtPositions(sequence: LlamaContextSequence, firstPosition: number, tokens: readonly Token[]): Promise<unknown[]> {
  const internals = sequence as unknown as SequenceInternals;
  return (sequence.context as unknown as ContextInternals)._decodeTokens({
    sequenceId: internals._sequenceId,
    firstTokenSequenceIndex: firstPosition,
    tokens: tokens.slice(),
    logits: tokens.map(() => false),
    evaluationPriority: 5,
    tokenMeter: internals._tokenMeter
  }, () => undefined);
}

/** Lock scope used by node-llama-cpp for evaluations of one sequence. */
export function sequenceEvaluateLockScope(sequence: LlamaContextSequence): readonly [object, string] {
  return [(sequence as unknown as SequenceInternals)._lock, "evaluate"] as const;
}

/** Lock scope node-llama-cpp holds while a batch of this context is being decoded natively. */
export function contextLockScope(context: LlamaContext): readonly [object, string] {
  return [context, "context"] as const;
}

interface LockHandle {
  dispose(): void;
}
interface LifecycleUtils {
  acquireLock(scope: readonly unknown[]): Promise<LockHandle>;
  withLock<T>(scope: readonly unknown[], callback: () => Promise<T> | T): Promise<T>;
}

let lifecycleUtilsPromise: Promise<LifecycleUtils> | undefined;

/**
 * The `lifecycle-utils` module instance that node-llama-cpp itself uses (locks are keyed by object
 * identity inside that module, so we must share its instance, not merely its version).
 */
export function nodeLlamaCppLocks(): Promise<LifecycleUtils> {
  lifecycleUtilsPromise ??= (async () => {
    const requireFromNlc = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
    const resolved = requireFromNlc.resolve("lifecycle-utils");
    return (await import(pathToFileURL(resolved).href)) as LifecycleUtils;
  })();
  return lifecycleUtilsPromise;
}

/** Run `callback` while holding the given node-llama-cpp lock scopes (acquired in order). */
export async function withNlcLocks<T>(scopes: ReadonlyArray<readonly [object, string]>, callback: () => Promise<T> | T): Promise<T> {
  const { acquireLock } = await nodeLlamaCppLocks();
  const held: LockHandle[] = [];
  try {
    for (const scope of scopes)
      held.push(await acquireLock(scope));
    return await callback();
  } finally {
    for (const lock of held.reverse())
      lock.dispose();
  }
}

/** True when the native module behind `llama` carries the KVShare patch (checked on its class, no context needed). */
export function llamaHasKvSharePatch(llama: Llama): boolean {
  const bindings = (llama as unknown as { _bindings: { AddonContext: { prototype: Record<string, unknown> } } })._bindings;
  return typeof bindings.AddonContext.prototype.getKvSharePatchVersion === "function";
}
