/**
 * Everything the KV layer needs from below node-llama-cpp 3.21.1's public API, in one file, so that a
 * node-llama-cpp upgrade has exactly one place to review. The fields used here are marked `@internal` in
 * node-llama-cpp's typings and are therefore absent from its `.d.ts` files; the source they were read from
 * is `node-llama-cpp/dist/evaluator/LlamaContext/LlamaContext.js` (`LlamaContext`, `LlamaContextSequence`).
 *
 * ## Sequence state
 *
 * Next to a sequence's native KV, `LlamaContextSequence` keeps JS state that must describe it. Its own eraser
 * (`_eraseContextTokenRanges`, behind `eraseContextTokenRanges` and `clearHistory`) and its own state loader
 * (`loadStateFromFile`) keep these invariants, and so must anything that changes the native KV behind its back:
 *
 * 1. **Tokens.** `_contextTokens[i]` is the token whose KV is at position `i`, for every
 *    `i < _nextTokenIndex === _contextTokens.length`, and the sequence has no cell at or past `_nextTokenIndex`
 *    (the next evaluation decodes there, and the eraser shifts and removes cells by these indexes).
 * 2. **Loaded predictions.** `_loadedTokenPredictions` are the last entries of `_contextTokens`: tokens the
 *    token predictor had evaluated ahead, not yet validated (the public `contextTokens` / `nextTokenIndex`
 *    leave them out). They exist only while their cells do.
 * 3. **Token predictor.** Whenever the tokens change other than by appending, the predictor is stopped and
 *    marked for a reset (`_resetTokenPredictor`), so its next use re-primes it with the new state tokens; a
 *    state load also gives it a new owner (`_tokenPredictorOwner`), so a speculative evaluation still holding
 *    the old owner drops its predictions instead of applying them to the new state.
 * 4. **Checkpoints.** No checkpoint (`_checkpoints`: snapshots of partial state, taken for SWA/recurrent models)
 *    describes KV that is no longer there: the eraser prunes every checkpoint past the kept prefix, so an
 *    erase never restores a checkpoint of other tokens.
 * 5. **Token meter.** Decoded tokens are counted as input (or output) tokens by the context's batching; the
 *    eraser also counts every cell it shifts as an input token (the shift re-rotates its keys).
 *
 * This layer keeps them as follows. Where node-llama-cpp has a public method, it is used: a sequence is
 * emptied with `clearHistory()` (its own eraser: predictions dropped, predictor reset, checkpoints pruned)
 * before its native KV is replaced, restored with `loadStateFromFile` on the stock binary, and computed
 * tokens and shifted cells are counted on the public `tokenMeter`. What has no public method — telling
 * node-llama-cpp which tokens the native KV now holds — is {@link adoptNativeSequenceState}, the only
 * function that writes a sequence's private state; it asserts the sequence was emptied first and re-asserts
 * invariants 2–4 exactly as `loadStateFromFile` does (plus clearing checkpoints, which that loader leaves to
 * its caller).
 *
 * Other private members used: the native context (`_ctx`) and sequence id (`_sequenceId`) for the native
 * calls; the context's batch queue (`_decodeTokens`) to decode at explicit positions; a sequence's evaluate
 * lock (`_lock`) and the context lock, through node-llama-cpp's own `lifecycle-utils` instance.
 */
import {createRequire} from "node:module";
import {pathToFileURL} from "node:url";
import type {Llama, LlamaContext, LlamaContextSequence, Token, TokenMeter} from "node-llama-cpp";

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
    /** Patch v3: a partial forward pass through layers 0..layer of an empty sequence (see `probe.ts`). */
    probeLayerValues(sequenceId: number, tokens: Uint32Array, layer: number): Promise<NativeLayerProbe>;
}

/** What `probeLayerValues` returns: F32 rows at the probed layer. */
export interface NativeLayerProbe {
    /** RoPE'd query of the last token: `nHead × headDim`. */
    q: Float32Array;
    /** RoPE'd keys: a row of `nHeadKv × headDim` per token. */
    k: Float32Array;
    /** Values: a row of `nEmbdV` per token. */
    v: Float32Array;
    headDim: number;
    nHead: number;
    nHeadKv: number;
    nEmbdV: number;
    /** Whether the graph was cut after the probed layer (false: the whole model ran, e.g. the last layer). */
    stoppedEarly: boolean;
}

/** Native methods present in the stock addon that this layer uses. */
export interface StockAddonMethods {
    removeTokenCellsFromSequence(sequenceId: number, startPos: number, endPos: number): boolean;
    shiftSequenceTokenCells(sequenceId: number, startPos: number, endPos: number, shiftDelta: number): void;
}

export type AddonContext = StockAddonMethods & Partial<PatchedAddonMethods>;

interface ContextInternals {
    _ctx: AddonContext;
    _backendContextDisposeGuard: {createPreventDisposalHandle(): {dispose(): void}};
    _decodeTokens(
        item: {
            sequenceId: number;
            firstTokenSequenceIndex: number;
            tokens: Token[];
            logits: boolean[];
            evaluationPriority?: number;
            tokenMeter: TokenMeter;
        },
        logitDataMapper: (batchLogitIndex: number, tokenIndex: number) => unknown
    ): Promise<unknown[]>;
}

interface CheckpointsInternals {
    clearAllCheckpoints(): void;
}

interface SequenceInternals {
    _sequenceId: number;
    _lock: object;
    _contextTokens: Token[];
    _nextTokenIndex: number;
    _loadedTokenPredictions: unknown[];
    _resetTokenPredictor: boolean;
    _tokenPredictorOwner: object;
    _checkpoints: CheckpointsInternals;
}

function internalsOf(sequence: LlamaContextSequence): SequenceInternals {
    return sequence as unknown as SequenceInternals;
}

/** The native addon context behind a {@link LlamaContext}. */
export function addonOf(context: LlamaContext): AddonContext {
    return (context as unknown as ContextInternals)._ctx;
}

/**
 * Keeps the native context from being freed until the handle is disposed, as node-llama-cpp does around its
 * own decodes (a dispose then waits); throws when the context is disposed already.
 */
export function preventContextDisposal(context: LlamaContext): {dispose(): void} {
    return (context as unknown as ContextInternals)._backendContextDisposeGuard.createPreventDisposalHandle();
}

/** The native sequence id of a {@link LlamaContextSequence}. */
export function sequenceIdOf(sequence: LlamaContextSequence): number {
    return internalsOf(sequence)._sequenceId;
}

/**
 * Tell node-llama-cpp that the native KV of `sequence` now holds `tokens` at positions `0 … tokens.length−1`
 * (and nothing else), after it was replaced behind node-llama-cpp's back. Keeps the invariants listed in the
 * module comment. Preconditions, checked where node-llama-cpp's state can show them:
 * - the caller holds the sequence's evaluate lock ({@link sequenceEvaluateLockScope}) across the native change
 *   and this call, so no evaluation of the sequence interleaves;
 * - the sequence was emptied with `clearHistory()` before the native change (node-llama-cpp's own eraser then
 *   dropped loaded predictions and pruned checkpoints of the old content), so its state still says empty.
 */
export function adoptNativeSequenceState(sequence: LlamaContextSequence, tokens: readonly Token[]): void {
    const internals = internalsOf(sequence);
    if (internals._nextTokenIndex !== 0 || internals._loadedTokenPredictions.length !== 0)
        throw new Error("adoptNativeSequenceState: the sequence was not emptied with clearHistory() before its KV was replaced");
    // 3. as loadStateFromFile: stop the predictor, re-prime it on next use, orphan any speculative run in flight
    void sequence.tokenPredictor?.stop();
    internals._resetTokenPredictor = true;
    internals._tokenPredictorOwner = {};
    // 4. no checkpoint of earlier content may be restored into this one (clearHistory pruned them already)
    internals._checkpoints.clearAllCheckpoints();
    // 2. and 1.
    internals._loadedTokenPredictions.length = 0;
    internals._contextTokens = tokens.slice();
    internals._nextTokenIndex = tokens.length;
}

/**
 * Queue `tokens` for decoding into `sequence` at explicit positions `firstPosition …` (no logits) through
 * node-llama-cpp's context batching, counted on the sequence's token meter. node-llama-cpp's token
 * bookkeeping of the sequence is not touched (see {@link adoptNativeSequenceState}). Runs queued in the
 * same tick share a batch. Positions that do not continue the sequence need the relaxed-position patch
 * to be switched on.
 */
export function decodeAtPositions(sequence: LlamaContextSequence, firstPosition: number, tokens: readonly Token[]): Promise<unknown[]> {
    return (sequence.context as unknown as ContextInternals)._decodeTokens(
        {
            sequenceId: sequenceIdOf(sequence),
            firstTokenSequenceIndex: firstPosition,
            tokens: tokens.slice(),
            logits: tokens.map(() => false),
            evaluationPriority: 5, // node-llama-cpp's default evaluation priority
            tokenMeter: sequence.tokenMeter
        },
        () => undefined
    );
}

/** Lock scope used by node-llama-cpp for evaluations of one sequence. */
export function sequenceEvaluateLockScope(sequence: LlamaContextSequence): readonly [object, string] {
    return [internalsOf(sequence)._lock, "evaluate"] as const;
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
}

let lifecycleUtilsPromise: Promise<LifecycleUtils> | undefined;

/**
 * The `lifecycle-utils` module instance that node-llama-cpp itself uses (locks are keyed by object
 * identity inside that module, so we must share its instance, not merely its version).
 */
function nodeLlamaCppLocks(): Promise<LifecycleUtils> {
    lifecycleUtilsPromise ??= (async () => {
        const requireFromNlc = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
        const resolved = requireFromNlc.resolve("lifecycle-utils");
        return (await import(pathToFileURL(resolved).href)) as LifecycleUtils;
    })();
    return lifecycleUtilsPromise;
}

/** Run `callback` while holding the given node-llama-cpp lock scopes (acquired in order). */
export async function withNlcLocks<T>(scopes: ReadonlyArray<readonly [object, string]>, callback: () => Promise<T> | T): Promise<T> {
    const {acquireLock} = await nodeLlamaCppLocks();
    const held: LockHandle[] = [];
    try {
        for (const scope of scopes) held.push(await acquireLock(scope));
        return await callback();
    } finally {
        for (const lock of held.reverse()) lock.dispose();
    }
}

/** True when the native module behind `llama` carries the KVShare patch (checked on its class, no context needed). */
export function llamaHasKvSharePatch(llama: Llama): boolean {
    const bindings = (llama as unknown as {_bindings: {AddonContext: {prototype: Record<string, unknown>}}})._bindings;
    return typeof bindings.AddonContext.prototype.getKvSharePatchVersion === "function";
}
