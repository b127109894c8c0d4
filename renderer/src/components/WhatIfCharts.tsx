/** The what-if charts: donor hit rate and reused tokens against the similarity threshold and the recompute budget. */
import {CategoryScale, Chart as ChartJS, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip} from "chart.js";
import {Chart} from "react-chartjs-2";
import type {WhatIfCurves} from "../../../shared/admin.js";
import {budgetReuseAt, thresholdPoint} from "../lib/whatIf.js";

ChartJS.register(CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip);

const colors = {
    rate: "#2563eb",
    rateSoft: "rgba(37, 99, 235, 0.10)",
    donor: "#7c3aed",
    tokens: "#16a34a",
    saved: "#64748b",
    typed: "#ea580c",
    quality: "#d97706",
    grid: "rgba(113, 113, 122, 0.15)"
};
const common = {responsive: true, maintainAspectRatio: false, animation: false as const};

/**
 * The saved value's dot and, when another value is typed, the typed one's diamond, each at its curve's height
 * (none where the curve has no point there).
 */
function valueMarks(saved: number, savedY: number | null | undefined, typed: number | null, typedY: number | null | undefined) {
    const mark = (label: string, x: number, y: number, color: string, pointRadius: number, pointStyle: "circle" | "rectRot") => ({
        type: "scatter" as const,
        label,
        data: [{x, y}],
        backgroundColor: color,
        borderColor: "#fff",
        borderWidth: 2,
        pointRadius,
        pointStyle
    });
    return [
        ...(savedY == null ? [] : [mark(`Saved ${saved}`, saved, savedY, colors.saved, 7, "circle")]),
        ...(typed == null || typedY == null || typed === saved ? [] : [mark(`Typed ${typed}`, typed, typedY, colors.typed, 8, "rectRot")])
    ];
}

/**
 * The series that have points: an empty one (measured agreement before any quality check) would still get a
 * legend entry, naming a line the chart does not draw.
 */
function drawn<T extends {data: readonly unknown[]}>(datasets: T[]): T[] {
    return datasets.filter((d) => d.data.length > 0);
}

/** Hit rate, any reuse, prompt tokens kept and measured agreement against the similarity threshold; the saved and typed values marked. */
export function ThresholdChart({curves, saved, typed}: {curves: WhatIfCurves; saved: number; typed: number | null}) {
    const {x, hitRate, anyReuseRate, reusedTokens, promptTokens, agreement} = curves.threshold;
    const share = (tokens: number) => (promptTokens > 0 ? (100 * tokens) / promptTokens : 0);
    const savedPoint = thresholdPoint(curves, saved);
    const typedPoint = typed == null ? null : thresholdPoint(curves, typed);
    return (
        <Chart
            type="line"
            data={{
                datasets: drawn([
                    {
                        type: "line" as const,
                        label: "Hit rate (from a donor)",
                        data: x.map((t, i) => ({x: t, y: 100 * hitRate[i]!})),
                        borderColor: colors.rate,
                        backgroundColor: colors.rateSoft,
                        fill: true,
                        pointRadius: 0,
                        borderWidth: 2,
                        tension: 0,
                        stepped: "after" as const
                    },
                    {
                        type: "line" as const,
                        label: "Any reuse (own prefix too)",
                        data: x.map((t, i) => ({x: t, y: 100 * anyReuseRate[i]!})),
                        borderColor: colors.donor,
                        borderDash: [5, 4],
                        pointRadius: 0,
                        borderWidth: 1.5,
                        stepped: "after" as const
                    },
                    {
                        type: "line" as const,
                        // Before recompute: the budget then recomputes some of them, which the dashboard's "tokens saved" leaves out.
                        label: "Prompt tokens kept (before recompute)",
                        data: x.map((t, i) => ({x: t, y: share(reusedTokens[i]!)})),
                        borderColor: colors.tokens,
                        pointRadius: 0,
                        borderWidth: 2,
                        stepped: "after" as const
                    },
                    {
                        type: "line" as const,
                        label: "Measured agreement (checks at or above)",
                        data: x.flatMap((t, i) => (agreement[i] == null ? [] : [{x: t, y: 100 * agreement[i]!}])),
                        borderColor: colors.quality,
                        borderDash: [2, 3],
                        pointRadius: 0,
                        borderWidth: 2,
                        stepped: "after" as const
                    },
                    ...valueMarks(saved, savedPoint && 100 * savedPoint.hitRate, typed, typedPoint && 100 * typedPoint.hitRate)
                ])
            }}
            options={{
                ...common,
                interaction: {mode: "nearest", intersect: false, axis: "x"},
                plugins: {legend: {position: "bottom", labels: {boxWidth: 10, usePointStyle: true, font: {size: 11}}}},
                scales: {
                    x: {
                        type: "linear",
                        min: 0,
                        max: 1,
                        title: {display: true, text: "similarity threshold"},
                        ticks: {stepSize: 0.1},
                        grid: {color: colors.grid}
                    },
                    y: {min: 0, max: 100, title: {display: true, text: "percent"}, grid: {color: colors.grid}}
                }
            }}
        />
    );
}

/** Donor tokens left reused and measured agreement against the recompute budget; the saved and typed values marked. */
export function BudgetChart({curves, saved, typed}: {curves: WhatIfCurves; saved: number; typed: number | null}) {
    const {x, reusedTokens, agreement} = curves.budget;
    const max = Math.max(1, ...reusedTokens);
    const savedReuse = budgetReuseAt(curves, saved);
    const typedReuse = typed == null ? null : budgetReuseAt(curves, typed);
    const pct = (tokens: number) => (100 * tokens) / max;
    return (
        <Chart
            type="line"
            data={{
                datasets: drawn([
                    {
                        type: "line" as const,
                        label: "Donor tokens left reused (% of budget 0)",
                        data: x.map((b, i) => ({x: b, y: pct(reusedTokens[i]!)})),
                        borderColor: colors.tokens,
                        backgroundColor: colors.tokens,
                        pointRadius: 2,
                        borderWidth: 2
                    },
                    {
                        type: "line" as const,
                        label: "Measured agreement with full compute",
                        data: x.flatMap((b, i) => (agreement[i] == null ? [] : [{x: b, y: 100 * agreement[i]!}])),
                        borderColor: colors.quality,
                        backgroundColor: colors.quality,
                        pointRadius: 5,
                        borderWidth: 1.5,
                        borderDash: [4, 3]
                    },
                    ...valueMarks(saved, savedReuse == null ? null : pct(savedReuse), typed, typedReuse == null ? null : pct(typedReuse))
                ])
            }}
            options={{
                ...common,
                plugins: {legend: {position: "bottom", labels: {boxWidth: 10, usePointStyle: true, font: {size: 11}}}},
                scales: {
                    x: {type: "linear", min: 0, max: 1, title: {display: true, text: "recompute budget"}, ticks: {stepSize: 0.1}, grid: {color: colors.grid}},
                    y: {min: 0, max: 100, title: {display: true, text: "percent"}, grid: {color: colors.grid}}
                }
            }}
        />
    );
}
