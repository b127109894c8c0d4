/** The per-stage milliseconds a hit record reports (`x_kvshare.stages`), and their bookkeeping. */
import type {KvReuseReport} from "../../kv/index.js";
import type {Stages} from "./types.js";

export const noStages = (): Stages => ({embed_ms: 0, retrieve_ms: 0, align_ms: 0, restore_ms: 0, edit_ms: 0, compute_ms: 0});

/** Adds an edit's restore, edit and compute time (and a donor read before it) to the stages. */
export function addTimings(stages: Stages, report: KvReuseReport, extraRestoreMs: number): void {
    stages.restore_ms += report.timings.restoreMs + extraRestoreMs;
    stages.edit_ms += report.timings.editMs;
    stages.compute_ms += report.timings.computeMs;
}

export function roundStages(stages: Stages): Stages {
    return Object.fromEntries(Object.entries(stages).map(([key, value]) => [key, round3(value)])) as Stages;
}

/** Three decimals: what the hit record shows of milliseconds and similarities. */
export function round3(value: number): number {
    return Math.round(value * 1000) / 1000;
}
