/**
 * The quality bench's goals, checked from the measured cells and printed as PASS / FAIL / NOT CHECKED:
 *   1. at budget 0.15 the default policy keeps ≥ 97% greedy-token agreement and ROUGE-L ≥ 0.95 with full
 *      prefill on every workload, reusing within 5 points of what `none` reuses;
 *   2. dhd's agreement is above boundary's at every budget (workload mean, equal budget);
 *   3. dhd-decode adds agreement over dhd, at a per-token decode cost the timing part measured.
 */
import {defaultSharingSettings, recomputePolicies, type RecomputePolicy} from "../../shared/settings.js";
import {f3, ms1, pct, table} from "../share/report.js";
import {pairedGain, type GainInterval, type PairedScores} from "./pairedGain.js";
import {BUDGETS, cellOf, GOAL_BUDGET, type Cell, type WorkloadCells} from "./score.js";

export const AGREEMENT_MIN = 0.97;
export const ROUGE_MIN = 0.95;
/** Reuse may drop at most this far (share of prompt tokens) below `none`'s. */
export const REUSE_SLACK = 0.05;
/** Both at or above this count as saturated (a tie there is no evidence against the better policy). */
const SATURATED = 0.9995;

export type Verdict = "PASS" | "FAIL" | "NOT CHECKED";

export interface GoalResult {
    goal: string;
    verdict: Verdict;
    detail: string;
}

/** What the timing part measured of dhd-decode's decode stage (undefined when it did not run). */
export interface DecodeCost {
    /** Median time per output token after the first, ms. */
    dhdTpotMs: number;
    dhdDecodeTpotMs: number;
    /** The hit records' own `decode_recompute.ms` per output token (dhd-decode), median. */
    recordedMsPerToken: number;
    /** Median TTFT of dhd-decode and of dhd-guard (whose guard may recompute before the first token). */
    dhdDecodeTtftMs: number;
    dhdGuardTtftMs: number;
}

/** Goal 1 for one policy and workload: the three conditions, each as text when it fails. */
function goalOneFailures(w: WorkloadCells, policy: RecomputePolicy): string[] {
    const c = cellOf(w, policy, GOAL_BUDGET);
    const none = cellOf(w, "none", 0);
    if (c == null || none == null) return ["not measured"];
    const out: string[] = [];
    // Where even recomputing every kept token stays below the mark, the miss is not the policy's alone: say so.
    const ceilingNote = w.ceiling != null && !(w.ceiling.prefixAgreement >= AGREEMENT_MIN) ? ` (ceiling ${pct(w.ceiling.prefixAgreement)})` : "";
    if (!(c.prefixAgreement >= AGREEMENT_MIN)) out.push(`agreement ${pct(c.prefixAgreement)}${ceilingNote}`);
    if (!(c.rougeL >= ROUGE_MIN)) out.push(`ROUGE-L ${f3(c.rougeL)}`);
    if (!(c.reuse >= none.reuse - REUSE_SLACK)) out.push(`reuse ${pct(c.reuse)} vs none ${pct(none.reuse)}`);
    return out;
}

/**
 * `better`'s agreement gain over `worse`'s at budget `b`, each target paired and each workload's targets resampled:
 * whether a gain or loss of a few points tells the two apart at all.
 */
function gainInterval(workloads: readonly WorkloadCells[], better: RecomputePolicy, worse: RecomputePolicy, b: number): GainInterval | undefined {
    const pairs = workloads.map((w): PairedScores | undefined => {
        const a = cellOf(w, better, b)?.agreements;
        const z = cellOf(w, worse, b)?.agreements;
        return a == null || z == null ? undefined : {better: a, worse: z};
    });
    return pairs.every((p) => p != null) ? pairedGain(pairs) : undefined;
}

const points = (x: number): string => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;
const intervalText = (g: GainInterval | undefined): string => (g == null ? "–" : `${points(g.low)} … ${points(g.high)}`);

/** Prints the goal tables and verdict lines; returns the verdicts. */
export function checkGoals(workloads: readonly WorkloadCells[], all: WorkloadCells, cost: DecodeCost | undefined): GoalResult[] {
    const results: GoalResult[] = [];
    const main = defaultSharingSettings.recomputePolicy;

    // 1. Every policy's row is shown; the verdict is the default policy's.
    console.log(
        `\n== Goal 1: at budget ${GOAL_BUDGET}, agreement ≥ ${pct(AGREEMENT_MIN)}, ROUGE-L ≥ ${ROUGE_MIN}, reuse within ${REUSE_SLACK * 100} points of none ==`
    );
    const policies = recomputePolicies.filter((p) => p !== "none");
    console.log(
        table(
            ["workload", ...policies, "ceiling"],
            workloads.map((w) => [
                w.name,
                ...policies.map((p) => {
                    const c = cellOf(w, p, GOAL_BUDGET);
                    const none = cellOf(w, "none", 0);
                    if (c == null || none == null) return "–";
                    const ok = goalOneFailures(w, p).length === 0;
                    return `${pct(c.prefixAgreement)} ${f3(c.rougeL)} ${(100 * (c.reuse - none.reuse)).toFixed(1)}pt ${ok ? "ok" : "✗"}`;
                }),
                w.ceiling == null ? "–" : `${pct(w.ceiling.prefixAgreement)} ${f3(w.ceiling.rougeL)}`
            ])
        )
    );
    console.log("  (cell: prefix agreement, ROUGE-L, reuse minus none's in points, whether all three hold;");
    console.log("   ceiling: agreement and ROUGE-L with every kept token recomputed, what arithmetic alone leaves of full prefill)");
    const failing = workloads.map((w) => ({w: w.name, f: goalOneFailures(w, main)})).filter((x) => x.f.length > 0);
    // A grid limited by --settings may lack the cells a goal compares: that is no verdict either way.
    const unmeasured = (w: WorkloadCells, ...cells: Array<[RecomputePolicy, number]>): boolean => cells.some(([p, b]) => cellOf(w, p, b) == null);
    results.push({
        goal: `1. ${main} (the default policy) at budget ${GOAL_BUDGET} on every workload`,
        verdict: workloads.some((w) => unmeasured(w, [main, GOAL_BUDGET], ["none", 0]))
            ? "NOT CHECKED"
            : workloads.length > 0 && failing.length === 0
              ? "PASS"
              : "FAIL",
        detail: failing.length === 0 ? `${workloads.length} workloads` : failing.map((x) => `${x.w}: ${x.f.join(", ")}`).join("; ")
    });

    // 2. dhd over boundary at equal budget, workload mean.
    console.log("\n== Goal 2: dhd vs boundary at equal budget (workload mean) ==");
    const intervalAt = (b: number): GainInterval | undefined => gainInterval(workloads, "dhd", "boundary", b);
    const rows2 = BUDGETS.map((b) => ({b, dhd: cellOf(all, "dhd", b), boundary: cellOf(all, "boundary", b), interval: intervalAt(b)}));
    const above = (x: {dhd?: Cell; boundary?: Cell}): boolean =>
        x.dhd != null &&
        x.boundary != null &&
        (x.dhd.prefixAgreement > x.boundary.prefixAgreement || Math.min(x.dhd.prefixAgreement, x.boundary.prefixAgreement) >= SATURATED);
    console.log(
        table(
            ["budget", "boundary agreement", "dhd agreement", "gain", "gain 95% interval", "boundary reuse", "dhd reuse", "dhd above"],
            rows2.map((x) => [
                String(x.b),
                pct(x.boundary?.prefixAgreement ?? Number.NaN),
                pct(x.dhd?.prefixAgreement ?? Number.NaN),
                `${(100 * ((x.dhd?.prefixAgreement ?? Number.NaN) - (x.boundary?.prefixAgreement ?? Number.NaN))).toFixed(1)}pt`,
                intervalText(x.interval),
                pct(x.boundary?.reuse ?? Number.NaN),
                pct(x.dhd?.reuse ?? Number.NaN),
                above(x) ? "yes" : "no"
            ])
        )
    );
    const perWorkload = workloads.flatMap((w) => BUDGETS.map((b) => above({dhd: cellOf(w, "dhd", b), boundary: cellOf(w, "boundary", b)})));
    console.log(`  per workload: dhd above boundary in ${perWorkload.filter(Boolean).length} of ${perWorkload.length} (workload, budget) cells`);
    const surelyAbove = rows2.filter((x) => x.interval != null && x.interval.low > 0).map((x) => String(x.b));
    const surelyBelow = rows2.filter((x) => x.interval != null && x.interval.high < 0).map((x) => String(x.b));
    console.log(
        `  (gain 95% interval: points, each target's agreement paired, each workload's targets resampled 4000 times; interval above 0 at budget ${surelyAbove.join(", ") || "none"}, below 0 at ${surelyBelow.join(", ") || "none"})`
    );
    const below = rows2.filter((x) => !above(x)).map((x) => `${x.b}${x.interval == null ? "" : ` (95% interval ${intervalText(x.interval)} points)`}`);
    const twoUnmeasured = BUDGETS.some((b) => unmeasured(all, ["dhd", b], ["boundary", b]));
    results.push({
        goal: "2. dhd's agreement above boundary's at every budget (workload mean; ties only where both ≥ 99.95%)",
        verdict: twoUnmeasured ? "NOT CHECKED" : below.length === 0 ? "PASS" : "FAIL",
        detail: twoUnmeasured
            ? "dhd and boundary not measured at every budget (--settings)"
            : below.length === 0
              ? `all ${BUDGETS.length} budgets`
              : `not above at budget ${below.join(", ")}`
    });

    // 3. dhd-decode over dhd, and what a decoded token costs.
    console.log("\n== Goal 3: dhd-decode vs dhd (workload mean) ==");
    console.log(
        table(
            [
                "budget",
                "dhd agreement",
                "dhd-decode agreement",
                "gain",
                "gain 95% interval",
                "dhd ROUGE-L",
                "dhd-decode ROUGE-L",
                "decode-recomputed tok",
                "decode recompute ms"
            ],
            BUDGETS.map((b) => {
                const d = cellOf(all, "dhd", b);
                const dd = cellOf(all, "dhd-decode", b);
                return [
                    String(b),
                    pct(d?.prefixAgreement ?? Number.NaN),
                    pct(dd?.prefixAgreement ?? Number.NaN),
                    `${(100 * ((dd?.prefixAgreement ?? Number.NaN) - (d?.prefixAgreement ?? Number.NaN))).toFixed(1)}pt`,
                    intervalText(gainInterval(workloads, "dhd-decode", "dhd", b)),
                    f3(d?.rougeL ?? Number.NaN),
                    f3(dd?.rougeL ?? Number.NaN),
                    ms1(dd?.decodeRecomputeTokensMean ?? Number.NaN),
                    ms1(dd?.decodeRecomputeMsMean ?? Number.NaN)
                ];
            })
        )
    );
    const gain = (cellOf(all, "dhd-decode", GOAL_BUDGET)?.prefixAgreement ?? Number.NaN) - (cellOf(all, "dhd", GOAL_BUDGET)?.prefixAgreement ?? Number.NaN);
    const costText =
        cost == null
            ? "per-token cost not measured (timing part not run)"
            : `TPOT dhd ${ms1(cost.dhdTpotMs)} ms, dhd-decode ${ms1(cost.dhdDecodeTpotMs)} ms (+${ms1(cost.dhdDecodeTpotMs - cost.dhdTpotMs)} ms per token; the records' decode_recompute ${ms1(cost.recordedMsPerToken)} ms per token)`;
    const threeUnmeasured = unmeasured(all, ["dhd", GOAL_BUDGET], ["dhd-decode", GOAL_BUDGET]);
    results.push({
        goal: `3. dhd-decode adds agreement over dhd at budget ${GOAL_BUDGET}, at a measured per-token cost`,
        verdict: threeUnmeasured
            ? "NOT CHECKED"
            : !(gain > 0)
              ? "FAIL"
              : cost == null || !Number.isFinite(cost.dhdDecodeTpotMs - cost.dhdTpotMs)
                ? "NOT CHECKED"
                : "PASS",
        detail: threeUnmeasured
            ? `dhd or dhd-decode not measured at ${GOAL_BUDGET} (--settings)`
            : `agreement gain ${(100 * gain).toFixed(1)} points (95% interval ${intervalText(gainInterval(workloads, "dhd-decode", "dhd", GOAL_BUDGET))}); ${costText}`
    });
    guardTable(all, cost);
    return results;
}

/** What the near-tie guard buys over `dhd-decode`, and what it costs (no goal of its own: printed beside them). */
function guardTable(all: WorkloadCells, cost: DecodeCost | undefined): void {
    console.log("\n== The near-tie guard: dhd-guard vs dhd-decode (workload mean) ==");
    console.log(
        table(
            [
                "budget",
                "dhd-decode agreement",
                "dhd-guard agreement",
                "dhd-guard ROUGE-L",
                "flushed (before the 1st token)",
                "never computed: dhd-decode",
                "dhd-guard"
            ],
            BUDGETS.map((b) => {
                const dd = cellOf(all, "dhd-decode", b);
                const g = cellOf(all, "dhd-guard", b);
                return [
                    String(b),
                    pct(dd?.prefixAgreement ?? Number.NaN),
                    pct(g?.prefixAgreement ?? Number.NaN),
                    f3(g?.rougeL ?? Number.NaN),
                    g == null ? "–" : `${g.flushed}/${g.semantic} (${g.flushedFirst})`,
                    pct(dd?.neverComputed ?? Number.NaN),
                    pct(g?.neverComputed ?? Number.NaN)
                ];
            })
        )
    );
    console.log(
        "  (never computed: prompt tokens whose donor KV no stage recomputed, over all prompt tokens; the guard recomputes every reused token past the common prefix where it flushes)"
    );
    if (cost != null)
        console.log(
            `  TTFT on the dummy model (its flat distributions make every first token unsure): dhd-decode ${ms1(cost.dhdDecodeTtftMs)} ms, dhd-guard ${ms1(cost.dhdGuardTtftMs)} ms`
        );
}

/** Whether the server ran the requested policies at all (before the request field is parsed, it does not). */
export function honouredShare(workloads: readonly WorkloadCells[]): {semantic: number; asRequested: number; fellBack: number; absent: number} {
    let semantic = 0;
    let mismatched = 0;
    let fellBack = 0;
    let absent = 0;
    for (const w of workloads)
        for (const c of w.cells) {
            semantic += c.semantic;
            mismatched += c.mismatched;
            fellBack += c.fellBackToBoundary;
            absent += c.reported["(absent)"] ?? 0;
        }
    return {semantic, asRequested: semantic - mismatched - fellBack, fellBack, absent};
}
