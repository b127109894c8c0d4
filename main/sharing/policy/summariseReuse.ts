/**
 * Per-position labels of a reuse, for the request record (`x_kvshare`) and the UI's hit strip:
 * "reused" (donor KV used as is), "recomputed" (covered by a kept run but computed anyway),
 * "new" (no donor token: inserted or replaced).
 */
import type {KeptRun, PositionRange} from "../../kv/index.js";
import {mergeRanges, validateRuns} from "./selectRecompute.js";
import type {ReuseLabel} from "./types.js";

/** A maximal stretch of equal labels, half-open. Compact form of `labels` for long prompts. */
export interface ReuseSegment {
    readonly label: ReuseLabel;
    readonly start: number;
    readonly end: number;
}

/** Result of {@link summariseReuse}. */
export interface ReuseSummary {
    /** One label per target position. */
    readonly labels: ReuseLabel[];
    /** The same, run-length encoded. */
    readonly segments: ReuseSegment[];
    readonly counts: Readonly<Record<ReuseLabel, number>>;
}

/**
 * Label every target position from the kept `runs` and the `computeRanges` (e.g.
 * `selectRecompute(...).ranges`). Positions outside any run are "new" whether or not the ranges
 * list them.
 */
export function summariseReuse(runs: readonly KeptRun[], targetLength: number, computeRanges: readonly PositionRange[]): ReuseSummary {
    validateRuns(runs, targetLength);
    const labels = new Array<ReuseLabel>(targetLength).fill("new");
    for (const r of runs) labels.fill("reused", r.targetStart, r.targetStart + r.length);
    for (const r of mergeRanges(computeRanges)) {
        for (let p = Math.max(0, r.start); p < Math.min(targetLength, r.end); p++) {
            if (labels[p] === "reused") labels[p] = "recomputed";
        }
    }
    const counts: Record<ReuseLabel, number> = {reused: 0, recomputed: 0, new: 0};
    const segments: ReuseSegment[] = [];
    for (let p = 0; p < targetLength; p++) {
        const label = labels[p] as ReuseLabel;
        counts[label]++;
        const last = segments[segments.length - 1];
        if (last !== undefined && last.label === label && last.end === p) segments[segments.length - 1] = {label, start: last.start, end: p + 1};
        else segments.push({label, start: p, end: p + 1});
    }
    return {labels, segments, counts};
}
