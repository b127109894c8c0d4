/**
 * One entry point for preparing a sequence for a prompt from a donor: KV editing when the binary,
 * the context and the model allow it, exact prefix reuse otherwise, full prefill as the last resort.
 * Every fallback carries a stated reason for the UI, the API's hit record and the log.
 */
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { applyEditPlan, type DonorSource } from "./applyEditPlan.js";
import type { EditPlan } from "./editPlan.js";
import { SnapshotRefusedError } from "./errors.js";
import { checkKvShiftability } from "./guards.js";
import { addonOf, contextLockScope, sequenceEvaluateLockScope, sequenceIdOf, setSequenceTokenState, withNlcLocks } from "./internals.js";
import { getKvEditingSupport, isPatchedAddon } from "./nativeSupport.js";
import { reusePrefix } from "./prefixReuse.js";
import type { KvReuseReport } from "./report.js";
import { readSnapshot, restoreSnapshot } from "./snapshot.js";

/** A snapshot file not yet verified; {@link reuseKv} verifies it and falls back to full prefill on refusal. */
export interface SnapshotFileDonor {
  readonly snapshotFile: string;
  /** Fingerprint of the loaded model (see `modelFingerprint`). */
  readonly modelFingerprint: string;
  readonly snapshot?: undefined;
  readonly sequence?: undefined;
}

/** Options of {@link reuseKv}. */
export interface ReuseKvOptions {
  readonly context: LlamaContext;
  /** Sequence to prepare. */
  readonly targetSequence: LlamaContextSequence;
  /** Working sequence for KV editing; without it only prefix reuse is possible. */
  readonly scratchSequence?: LlamaContextSequence;
  /**
   * Donor KV: a verified snapshot, a snapshot file (verified here), or a resident sequence. When absent
   * the target is prefilled, reusing only the exact prefix of its own current content.
   */
  readonly donor?: DonorSource | SnapshotFileDonor;
  readonly targetTokens: readonly Token[];
  /** Edit plan from the aligner; when absent only prefix reuse is attempted. */
  readonly plan?: EditPlan;
  /** Whether the context was created with `swaFullCache: true`. */
  readonly swaFullCache?: boolean;
  /** See `ApplyEditPlanOptions.leaveLastTokenPending`. Default `true`. */
  readonly leaveLastTokenPending?: boolean;
}

/**
 * Prepare `targetSequence` so that it holds the KV of `targetTokens` (minus the pending last token),
 * reusing as much donor KV as allowed. Never throws for an unusable donor: a refused snapshot or a
 * failed edit falls back to prefix reuse or full prefill, and `reason` says why.
 */
export async function reuseKv(options: ReuseKvOptions): Promise<KvReuseReport> {
  const { context, targetSequence: target, scratchSequence, targetTokens, plan } = options;
  const leaveLastTokenPending = options.leaveLastTokenPending;
  const fallbackReasons: string[] = [];
  let verifyMs = 0;
  let donor: DonorSource | undefined;
  if (options.donor != null && "snapshotFile" in options.donor && options.donor.snapshotFile != null) {
    const t = performance.now();
    try {
      donor = { snapshot: await readSnapshot(options.donor.snapshotFile, { modelFingerprint: options.donor.modelFingerprint, context }) };
    } catch (err) {
      if (!(err instanceof SnapshotRefusedError))
        throw err;
      fallbackReasons.push(err.message);
      await target.clearHistory();
    }
    verifyMs = performance.now() - t;
  } else
    donor = options.donor as DonorSource | undefined;

  if (donor != null && plan != null) {
    const support = getKvEditingSupport(context);
    const shift = checkKvShiftability(context.model, { context, swaFullCache: options.swaFullCache });
    if (!support.kvEditingSupported)
      fallbackReasons.push(support.reason);
    else if (!shift.canShift)
      fallbackReasons.push(shift.reason);
    else if (scratchSequence == null)
      fallbackReasons.push("no scratch sequence available for KV editing");
    else {
      try {
        const report = await applyEditPlan({ context, targetSequence: target, scratchSequence, donor, targetTokens, plan, leaveLastTokenPending });
        return {
          ...report,
          timings: { ...report.timings, restoreMs: report.timings.restoreMs + verifyMs, totalMs: report.timings.totalMs + verifyMs }
        };
      } catch (err) {
        fallbackReasons.push(`KV editing failed: ${(err as Error).message}`);
      }
    }
  } else if (donor != null)
    fallbackReasons.push("no edit plan given");

  // floor: exact prefix reuse
  let restoreMs = verifyMs;
  if (donor?.snapshot != null) {
    const t = performance.now();
    try {
      await restoreSnapshot(target, donor.snapshot);
    } catch (err) {
      if (!(err instanceof SnapshotRefusedError))
        throw err;
      fallbackReasons.push(err.message);
      await target.clearHistory();
    }
    restoreMs += performance.now() - t;
  } else if (donor?.sequence != null && donor.sequence !== target) {
    const t = performance.now();
    const copied = await copyResidentDonor(context, donor.sequence, target);
    if (!copied) {
      fallbackReasons.push("copying a resident donor into another sequence needs the patched binary");
      await target.clearHistory();
    }
    restoreMs += performance.now() - t;
  }
  const reason = fallbackReasons.length > 0 ? `no KV editing: ${fallbackReasons.join("; ")}` : "exact prefix reuse";
  return reusePrefix({ sequence: target, targetTokens, leaveLastTokenPending, reason, restoreMs });
}

async function copyResidentDonor(context: LlamaContext, from: LlamaContextSequence, to: LlamaContextSequence): Promise<boolean> {
  const addon = addonOf(context);
  if (!isPatchedAddon(addon))
    return false;
  await withNlcLocks([sequenceEvaluateLockScope(from), sequenceEvaluateLockScope(to), contextLockScope(context)], () => {
    const data = addon.getSequenceStateData(sequenceIdOf(from));
    addon.removeTokenCellsFromSequence(sequenceIdOf(to), 0, -1);
    if (addon.setSequenceStateData(sequenceIdOf(to), data) !== data.length) {
      addon.removeTokenCellsFromSequence(sequenceIdOf(to), 0, -1);
      setSequenceTokenState(to, []);
      return;
    }
    setSequenceTokenState(to, from.contextTokens);
  });
  return true;
}
