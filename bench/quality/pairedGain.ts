/**
 * How sure a gain of one setting over another is: the workload-mean gain in agreement, per target paired (the two
 * settings answered the same prompts), with a 95% interval from a bootstrap that resamples each workload's targets.
 * A few dozen targets per workload, many of them decided at a near tie, make one answer a point or two of the mean:
 * a gain or loss that small is no evidence either way unless the interval says so.
 */
import {seededRandom} from "../../test/support/seededRandom.js";

/** One workload's per-target scores under the two settings, in the same target order. */
export interface PairedScores {
    better: readonly number[];
    worse: readonly number[];
}

export interface GainInterval {
    /** Mean over workloads of the mean per-target difference (better − worse). */
    gain: number;
    /** The 2.5th and 97.5th percentiles of the bootstrap replicates. */
    low: number;
    high: number;
}

const meanOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The paired gain and its bootstrap interval; undefined where a workload has no targets or the two differ in count. */
export function pairedGain(workloads: readonly PairedScores[], replicates = 4000, seed = 13): GainInterval | undefined {
    if (workloads.length === 0 || workloads.some((w) => w.better.length === 0 || w.better.length !== w.worse.length)) return undefined;
    const diffs = workloads.map((w) => w.better.map((b, i) => b - w.worse[i]!));
    const gain = meanOf(diffs.map(meanOf));
    // seeded: the same run prints the same interval
    const random = seededRandom(seed);
    const replicated: number[] = [];
    for (let r = 0; r < replicates; r++) {
        let total = 0;
        for (const d of diffs) {
            let sum = 0;
            for (let i = 0; i < d.length; i++) sum += d[Math.floor(random() * d.length)]!;
            total += sum / d.length;
        }
        replicated.push(total / diffs.length);
    }
    replicated.sort((a, b) => a - b);
    // as many replicates left out below the interval as above it
    const tail = Math.floor(0.025 * replicated.length);
    return {gain, low: replicated[tail]!, high: replicated[replicated.length - 1 - tail]!};
}

/** Checks the interval on cases whose answer is known; throws where it is wrong. */
export function pairedGainSelfCheck(): void {
    const fail = (what: string): never => {
        throw new Error(`paired gain self-check failed: ${what}`);
    };
    const same = pairedGain([{better: [0.5, 1, 0.25], worse: [0.5, 1, 0.25]}]);
    if (same == null || same.gain !== 0 || same.low !== 0 || same.high !== 0) fail("equal scores give a gain of exactly 0, no spread");
    // Every target 0.1 better: the gain is 0.1 whichever targets are drawn.
    const shifted = pairedGain([{better: [0.6, 0.9, 0.3, 0.8], worse: [0.5, 0.8, 0.2, 0.7]}])!;
    if (Math.abs(shifted.gain - 0.1) > 1e-9 || Math.abs(shifted.low - 0.1) > 1e-9 || Math.abs(shifted.high - 0.1) > 1e-9) fail("a constant shift");
    // One target of twenty 1 better, the rest equal: a gain of 0.05 that about 36% of replicates leave out (0 inside the interval).
    const one = pairedGain([{better: [1, ...Array<number>(19).fill(0)], worse: Array<number>(20).fill(0)}])!;
    if (Math.abs(one.gain - 0.05) > 1e-9 || one.low !== 0 || !(one.high > 0.05)) fail("one target of twenty");
    // Workloads weigh the same: +1 on a workload of 2 and 0 on one of 10 is a gain of 0.5.
    const weighted = pairedGain([
        {better: [1, 1], worse: [0, 0]},
        {better: Array<number>(10).fill(0), worse: Array<number>(10).fill(0)}
    ])!;
    if (Math.abs(weighted.gain - 0.5) > 1e-9) fail("workloads weigh the same");
    if (pairedGain([{better: [1], worse: []}]) != null) fail("unpaired scores");
}
