/**
 * KV editing layer: snapshots, edit plan → KV, guards and the exact-prefix fallback.
 * See README.md in this folder.
 */
export {createKvEditingContext} from "./createKvEditingContext.js";
export {commonPrefixLength, type EditPlan, type KeptRun, type PositionRange, type PositionSet} from "./editPlan.js";
export {InvalidEditPlanError, SnapshotRefusedError, type SnapshotRefusalReason} from "./errors.js";
export {modelFingerprint, type FingerprintMode} from "./fingerprint.js";
export {checkKvShiftability, type KvShiftability} from "./guards.js";
export {getKvEditingSupport, isPatchedLlama, type KvEditingSupport} from "./nativeSupport.js";
export type {KvReuseReport, KvReuseTimings} from "./report.js";
export {reuseKv, type ReuseKvOptions} from "./reuse.js";
export type {DonorSource} from "./applyEditPlan.js";
export {InPlaceRecompute, type FlushOutcome, type GuardVerdict, type InPlaceToken} from "./InPlaceRecompute.js";
export {modelLayerCount, probeLayer, type LayerProbe} from "./probe.js";
export {withExclusiveDecode} from "./exclusiveDecode.js";
export {readLayerValues, UnsupportedStateLayoutError, type LayerValues} from "./stateValues.js";
export {decodeLlamaSeqState} from "./snapshotFormat.js";
export {
    buildSnapshotHeader,
    captureForSnapshot,
    readSnapshot,
    writeSnapshot,
    type CapturedState,
    type KvSnapshot,
    type SnapshotExpectations
} from "./snapshot.js";
export type {SnapshotContextParams, SnapshotHeader} from "./snapshotFormat.js";
