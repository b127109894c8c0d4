/**
 * KV editing layer (issue 3): snapshots, edit plan → KV, guards and exact-prefix fallback.
 * See README.md in this folder.
 */
export { applyEditPlan, type ApplyEditPlanOptions, type DonorSource, type EditPlanReport } from "./applyEditPlan.js";
export { createKvEditingContext } from "./createKvEditingContext.js";
export {
  commonPrefixLength, normalizeEditPlan, prefixPlan, PARKING_OFFSET,
  type EditPlan, type KeptRun, type NormalizedPlan, type PlanSegment, type PositionRange, type PositionSet
} from "./editPlan.js";
export { InvalidEditPlanError, SnapshotRefusedError, type SnapshotRefusalReason } from "./errors.js";
export { modelFingerprint, type FingerprintMode } from "./fingerprint.js";
export { checkKvShiftability, type KvShiftability } from "./guards.js";
export { getKvEditingSupport, isPatchedLlama, nativePatchVersion, REQUIRED_KV_PATCH_VERSION, type KvEditingSupport } from "./nativeSupport.js";
export { reusePrefix, type ReusePrefixOptions } from "./prefixReuse.js";
export type { KvReuseMode, KvReuseReport, KvReuseTimings } from "./report.js";
export { reuseKv, type ReuseKvOptions, type SnapshotFileDonor } from "./reuse.js";
export {
  backendOf, buildSnapshotHeader, captureForSnapshot, captureSequenceState, readSnapshot, restoreSnapshot, saveSnapshot, writeSnapshot, type CapturedState, snapshotContextParams, writeFileAtomically,
  type KvSnapshot, type SnapshotExpectations
} from "./snapshot.js";
export { SNAPSHOT_FORMAT_VERSION, SNAPSHOT_MAGIC, type SnapshotContextParams, type SnapshotHeader } from "./snapshotFormat.js";
