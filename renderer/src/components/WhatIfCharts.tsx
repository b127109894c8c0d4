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

export function ThresholdChart({curves, saved, typed}: {curves: WhatIfCurves; saved: number; typed: number | null}) {
    const {x, hitRate, anyReuseRate, reusedTokens, promptTokens, agreement} = curves.threshold;
    const share = (tokens: number) => (promptTokens > 0 ? (100 * tokens) / promptTokens : 0);
    const savedPoint = thresholdPoint(curves, saved);
    const typedPoint = typed == null ? null : thresholdPoint(curves, typed);
    return (
        <Chart
            type="line"
            data={{
                datasets: [
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
                    ...(agreement.some((a) => a != null)
                        ? [
                              {
                                  type: "line" as const,
                                  label: "Measured agreement (checks at or above)",
                                  data: x.flatMap((t, i) => (agreement[i] == null ? [] : [{x: t, y: 100 * agreement[i]!}])),
                                  borderColor: colors.quality,
                                  borderDash: [2, 3],
                                  pointRadius: 0,
                                  borderWidth: 2,
                                  stepped: "after" as const
                              }
                          ]
                        : []),
                    ...(savedPoint
                        ? [
                              {
                                  type: "scatter" as const,
                                  label: `Saved ${saved}`,
                                  data: [{x: saved, y: 100 * savedPoint.hitRate}],
                                  backgroundColor: colors.saved,
                                  borderColor: "#fff",
                                  borderWidth: 2,
                                  pointRadius: 7,
                                  pointStyle: "circle" as const
                              }
                          ]
                        : []),
                    ...(typedPoint && typed !== saved
                        ? [
                              {
                                  type: "scatter" as const,
                                  label: `Typed ${typed}`,
                                  data: [{x: typed, y: 100 * typedPoint.hitRate}],
                                  backgroundColor: colors.typed,
                                  borderColor: "#fff",
                                  borderWidth: 2,
                                  pointRadius: 8,
                                  pointStyle: "rectRot" as const
                              }
                          ]
                        : [])
                ]
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
                datasets: [
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
                    ...(savedReuse != null
                        ? [
                              {
                                  type: "scatter" as const,
                                  label: `Saved ${saved}`,
                                  data: [{x: saved, y: pct(savedReuse)}],
                                  backgroundColor: colors.saved,
                                  borderColor: "#fff",
                                  borderWidth: 2,
                                  pointRadius: 7
                              }
                          ]
                        : []),
                    ...(typedReuse != null && typed !== saved
                        ? [
                              {
                                  type: "scatter" as const,
                                  label: `Typed ${typed}`,
                                  data: [{x: typed, y: pct(typedReuse)}],
                                  backgroundColor: colors.typed,
                                  borderColor: "#fff",
                                  borderWidth: 2,
                                  pointRadius: 8,
                                  pointStyle: "rectRot" as const
                              }
                          ]
                        : [])
                ]
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
