/** Recompute policy: which target positions to compute when reusing a donor's KV. */
export {
    DECODE_RECOMPUTE_MAX_STEPS,
    DECODE_RECOMPUTE_PER_STEP,
    DEFAULT_RECOMPUTE_FRACTION,
    deviatingKept,
    hasDecodeStage,
    isCommonPrefix,
    isMeasuredPolicy,
    isNearTie,
    mayBeNearTie,
    mergeRanges,
    NEAR_TIE_GUARD_NATS,
    selectRecompute,
    validateRuns,
    type RecomputeOptions,
    type RecomputePlan
} from "./selectRecompute.js";
export {deviationScores, lastTokenAttention, type DonorRows, type ProbeRows} from "./deviationScores.js";
export {budgetLadder, nearestBudgetStep} from "./budgetLadder.js";
export {summariseReuse, type ReuseSegment, type ReuseSummary} from "./summariseReuse.js";
export type {ReuseLabel} from "./types.js";
export {CostGate, type DonorCharge, type EditObservation, type GateAnswer, type GateQuestion} from "./CostGate.js";
