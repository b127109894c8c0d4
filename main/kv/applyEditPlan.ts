/**
 * Edit plan → KV: build a target sequence's KV from a donor's KV following an edit plan
 * (KVShare "differential editing" on llama.cpp, patched binary only).
 *
 * Steps (see ../../../shared/docs/feasibility.md, "The algorithm that worked"):
 * 1. restore the donor's KV into the scratch sequence;
 * 2. remove donor cells that are not kept; shift every kept cell by a large parking offset, then each
 *    kept run from the parking area to its target position (llama.cpp re-rotates K at the next decode);
 * 3. copy the kept runs from scratch into the target (cells become shared) and decode the compute runs:
 *    - `"batched"` (default): all kept runs first, then every compute run in one batch (or as few
 *      batches as the batch size allows, in position order) with llama.cpp's consecutive-position check
 *      relaxed (native/llama.cpp.patch); the causal mask uses positions, so each computed token attends
 *      to all kept and computed cells before it — the same attention as the sequential build;
 *    - `"sequential"`: left to right, each compute run decoded at the end of the target so the stock
 *      check holds (one llama_decode, i.e. one pass over the weights, per run);
 * 4. drop the scratch cells (kept cells are then owned by the target alone) and set node-llama-cpp's
 *    token state so normal generation continues.
 */
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { InvalidEditPlanError } from "./errors.js";
import { normalizeEditPlan, PARKING_OFFSET, type EditPlan, type NormalizedPlan } from "./editPlan.js";
import {
  contextLockScope, decodeAtEnd, decodeAtPositions, sequenceEvaluateLockScope, sequenceIdOf, setSequenceTokenState, withNlcLocks
} from "./internals.js";
import { requirePatchedAddon, type PatchedAddonContext } from "./nativeSupport.js";
import type { KvReuseReport } from "./report.js";
import { restoreIntoSequenceIdLocked, type KvSnapshot } from "./snapshot.js";

/** Where the donor KV comes from: a verified snapshot, or a sequence resident in the same context. */
export type DonorSource =
  | { readonly snapshot: KvSnapshot; readonly sequence?: undefined }
  | { readonly sequence: LlamaContextSequence; readonly snapshot?: undefined };

/** Options of {@link applyEditPlan}. */
export interface ApplyEditPlanOptions {
  /** Context created with `kvUnified: true` on the patched binary (see `createKvEditingContext`). */
  readonly context: LlamaContext;
  /** Sequence that receives the target's KV (its previous content is discarded). */
  readonly targetSequence: LlamaContextSequence;
  /** Working sequence of the same context; left empty afterwards. */
  readonly scratchSequence: LlamaContextSequence;
  /** The donor. A resident donor sequence is copied, not modified. */
  readonly donor: DonorSource;
  /** The full target prompt tokens. */
  readonly targetTokens: readonly Token[];
  /** Kept runs and extra positions to recompute. */
  readonly plan: EditPlan;
  /**
   * Leave the last target token unevaluated (returned in `pendingTokens`) so the caller's
   * `sequence.evaluate(pendingTokens)` yields logits for generation. Default `true`.
   */
  readonly leaveLastTokenPending?: boolean;
  /** How compute runs are decoded (see the module comment). Default `"batched"`. */
  readonly computeStrategy?: "batched" | "sequential";
}

/** Result of {@link applyEditPlan}; `mode` is always `"edit"`. */
export interface EditPlanReport extends KvReuseReport {
  readonly plan: NormalizedPlan;
}

/**
 * Build the KV of `targetTokens` in `targetSequence` from the donor following `plan`.
 * On failure both sequences are left empty (consistent) and the error is rethrown; the caller should
 * then serve by full prefill.
 */
export async function applyEditPlan(options: ApplyEditPlanOptions): Promise<EditPlanReport> {
  const { context, targetSequence: target, scratchSequence: scratch, donor, targetTokens } = options;
  const addon = requirePatchedAddon(context);
  if (target === scratch || target.context !== context || scratch.context !== context)
    throw new InvalidEditPlanError("target and scratch must be two different sequences of the given context");
  if (donor.sequence != null && (donor.sequence === scratch || donor.sequence.context !== context))
    throw new InvalidEditPlanError("a resident donor must be a sequence of the same context, other than scratch");
  if (targetTokens.length === 0)
    throw new InvalidEditPlanError("empty target");
  if (targetTokens.length >= target.contextSize)
    throw new InvalidEditPlanError(`target of ${targetTokens.length} tokens does not fit the context size ${target.contextSize}`);
  const stateLength = options.leaveLastTokenPending === false ? targetTokens.length : targetTokens.length - 1;
  const donorTokens = donor.snapshot != null ? donor.snapshot.tokens : donor.sequence.contextTokens.slice();
  const plan = normalizeEditPlan(options.plan, donorTokens, targetTokens, stateLength);

  const t0 = performance.now();
  let restoreMs = 0;
  let editMs = 0;
  let computeMs = 0;
  const targetId = sequenceIdOf(target);
  const scratchId = sequenceIdOf(scratch);
  const lockScopes = [sequenceEvaluateLockScope(target), sequenceEvaluateLockScope(scratch)];
  if (donor.sequence != null && donor.sequence !== target)
    lockScopes.push(sequenceEvaluateLockScope(donor.sequence));

  await withNlcLocks(lockScopes, async () => {
    try {
      // 1. donor → scratch (private cells, so shifting them cannot move anyone else's)
      let t = performance.now();
      await withNlcLocks([contextLockScope(context)], () => {
        if (donor.snapshot != null)
          restoreIntoSequenceIdLocked(context, scratchId, donor.snapshot);
        else
          copyStatePrivately(addon, sequenceIdOf(donor.sequence), scratchId);
      });
      restoreMs = performance.now() - t;

      // 2. edit scratch: drop unkept cells, park, move runs to target positions; clear target
      t = performance.now();
      await withNlcLocks([contextLockScope(context)], () => {
        moveKeptCells(addon, scratchId, plan);
        addon.removeTokenCellsFromSequence(targetId, 0, -1);
      });
      setSequenceTokenState(target, []);
      editMs += performance.now() - t;

      if (options.computeStrategy === "sequential") {
        // 3. build target left to right
        for (const segment of plan.segments) {
          const end = segment.targetStart + segment.length;
          if (segment.kind === "keep") {
            t = performance.now();
            await withNlcLocks([contextLockScope(context)], () => {
              addon.copySequenceTokenCells(scratchId, targetId, segment.targetStart, end);
            });
            setSequenceTokenState(target, targetTokens.slice(0, end));
            editMs += performance.now() - t;
          } else {
            t = performance.now();
            await decodeAtEnd(target, targetTokens.slice(segment.targetStart, end));
            computeMs += performance.now() - t;
          }
        }
      } else {
        // 3. all kept runs, then the compute runs in as few batches as possible
        t = performance.now();
        await withNlcLocks([contextLockScope(context)], () => {
          for (const run of plan.keep)
            addon.copySequenceTokenCells(scratchId, targetId, run.targetStart, run.targetStart + run.length);
          addon.removeTokenCellsFromSequence(scratchId, 0, -1);
        });
        editMs += performance.now() - t;
        t = performance.now();
        for (const group of groupComputeRuns(plan, context.batchSize)) {
          await withNlcLocks([contextLockScope(context)], () => addon.setRelaxedPositions(true));
          try {
            await Promise.all(group.map(({ start, end }) => decodeAtPositions(target, start, targetTokens.slice(start, end))));
          } finally {
            await withNlcLocks([contextLockScope(context)], () => addon.setRelaxedPositions(false));
          }
        }
        computeMs += performance.now() - t;
        setSequenceTokenState(target, targetTokens.slice(0, stateLength));
      }

      // 4. drop scratch
      t = performance.now();
      await withNlcLocks([contextLockScope(context)], () => {
        addon.removeTokenCellsFromSequence(scratchId, 0, -1);
      });
      setSequenceTokenState(scratch, []);
      editMs += performance.now() - t;
    } catch (err) {
      await withNlcLocks([contextLockScope(context)], () => {
        addon.removeTokenCellsFromSequence(scratchId, 0, -1);
        addon.removeTokenCellsFromSequence(targetId, 0, -1);
      });
      setSequenceTokenState(scratch, []);
      setSequenceTokenState(target, []);
      throw err;
    }
  });

  return {
    mode: "edit",
    reason: "donor KV edited in place (patched binary)",
    reusedTokens: plan.reusedTokens,
    computedTokens: plan.computedTokens,
    pendingTokens: targetTokens.slice(stateLength),
    timings: { restoreMs, editMs, computeMs, totalMs: performance.now() - t0 },
    plan
  };
}

/** Split the compute segments, in position order, into groups of at most `batchSize` tokens. */
function groupComputeRuns(plan: NormalizedPlan, batchSize: number): Array<Array<{ start: number; end: number }>> {
  const groups: Array<Array<{ start: number; end: number }>> = [];
  let current: Array<{ start: number; end: number }> = [];
  let room = batchSize;
  for (const segment of plan.segments) {
    if (segment.kind !== "compute")
      continue;
    let start = segment.targetStart;
    const end = segment.targetStart + segment.length;
    while (start < end) {
      if (room === 0) {
        groups.push(current);
        current = [];
        room = batchSize;
      }
      const take = Math.min(room, end - start);
      current.push({ start, end: start + take });
      start += take;
      room -= take;
    }
  }
  if (current.length > 0)
    groups.push(current);
  return groups;
}

/** Copy all KV of `srcId` into `dstId` as private cells (serialise + deserialise in memory). */
function copyStatePrivately(addon: PatchedAddonContext, srcId: number, dstId: number): void {
  const data = addon.getSequenceStateData(srcId);
  addon.removeTokenCellsFromSequence(dstId, 0, -1);
  const read = addon.setSequenceStateData(dstId, data);
  if (read !== data.length) {
    addon.removeTokenCellsFromSequence(dstId, 0, -1);
    throw new Error(`copying the donor's KV failed (${read} of ${data.length} bytes accepted)`);
  }
}

/** Remove unkept cells of `seqId`, then move each kept run to its target position (via the parking offset). */
function moveKeptCells(addon: PatchedAddonContext, seqId: number, plan: NormalizedPlan): void {
  const byDonor = [...plan.keep].sort((a, b) => a.donorStart - b.donorStart);
  let cursor = 0;
  for (const run of byDonor) {
    if (run.donorStart > cursor)
      addon.removeTokenCellsFromSequence(seqId, cursor, run.donorStart);
    cursor = run.donorStart + run.length;
  }
  addon.removeTokenCellsFromSequence(seqId, cursor, -1);
  if (byDonor.every((run) => run.donorStart === run.targetStart))
    return; // nothing moves (identity / pure prefix / deletions at the end)
  addon.shiftSequenceTokenCells(seqId, 0, -1, PARKING_OFFSET);
  for (const run of byDonor) {
    const from = run.donorStart + PARKING_OFFSET;
    addon.shiftSequenceTokenCells(seqId, from, from + run.length, run.targetStart - run.donorStart - PARKING_OFFSET);
  }
}
