/**
 * The quality bench's SVG: greedy-token agreement with full prefill (y) against the share of prompt
 * tokens reused (x), one panel per workload plus the workload mean, one line per recompute policy
 * through its budgets (more budget: less reuse, more agreement), `none` as a single point, the ceiling
 * (every kept token recomputed) as a dashed line. The trade-off curve: up and to the right is better.
 */
import {recomputePolicies, type RecomputePolicy} from "../../shared/settings.js";
import {median} from "../share/report.js";
import type {GoalResult} from "./goals.js";
import {GOAL_BUDGET, type WorkloadCells} from "./score.js";
import type {TimingResult} from "./timing.js";

export const POLICY_COLORS: Record<RecomputePolicy, string> = {
    none: "#8c8c8c",
    boundary: "#4e79a7",
    epic: "#f28e2b",
    deviation: "#b07aa1",
    dhd: "#59a14f",
    "dhd-decode": "#e15759",
    "dhd-guard": "#76b7b2"
};

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A range around the values, at least `minSpan` wide plus a margin, kept inside [0, 1]. */
function range(values: number[], minSpan: number): [number, number] {
    const finite = values.filter(Number.isFinite);
    if (finite.length === 0) return [0, 1];
    const min = Math.min(...finite);
    const max = Math.max(...finite);
    const half = Math.max(max - min, minSpan) * 0.54;
    let lo = (min + max) / 2 - half;
    let hi = (min + max) / 2 + half;
    // Shift rather than clip, so the span stays as wide.
    if (lo < 0) [lo, hi] = [0, Math.min(1, hi - lo)];
    if (hi > 1) [lo, hi] = [Math.max(0, lo - (hi - 1)), 1];
    return [lo, hi];
}

/** A tick label: one decimal where the axis is narrow enough for whole percents to repeat. */
const percent = (v: number, span: number): string => `${(v * 100).toFixed(span < 0.4 ? 1 : 0)}%`;

export interface TradeoffChartInput {
    title: string;
    subtitle: string;
    panels: WorkloadCells[];
    footer: string[];
}

/** Agreement (y) vs reuse (x), a panel per workload, three panels a row. */
export function tradeoffSvg(input: TradeoffChartInput): string {
    const cols = 3;
    const panelW = 370;
    const panelH = 270;
    const gapX = 48;
    const gapY = 74;
    const left = 64;
    const top = 104;
    const rows = Math.ceil(input.panels.length / cols);
    const width = left + cols * panelW + (cols - 1) * gapX + 24;
    const height = top + rows * (panelH + gapY) + 10 + input.footer.length * 16;
    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
        `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
        `<text x="${left}" y="28" font-size="20" font-weight="bold" fill="#222">${esc(input.title)}</text>`,
        `<text x="${left}" y="50" font-size="13" fill="#555">${esc(input.subtitle)}</text>`
    ];
    let lx = left;
    for (const policy of recomputePolicies) {
        out.push(`<rect x="${lx}" y="64" width="14" height="14" fill="${POLICY_COLORS[policy]}"/>`);
        out.push(`<text x="${lx + 20}" y="76" font-size="13" fill="#222">${esc(policy)}</text>`);
        lx += 40 + policy.length * 8;
    }
    input.panels.forEach((panel, i) => {
        const x0 = left + (i % cols) * (panelW + gapX);
        const y0 = top + Math.floor(i / cols) * (panelH + gapY) + 20;
        const [xLo, xHi] = range(
            panel.cells.map((c) => c.reuse),
            0.1
        );
        const ceiling = panel.ceiling?.prefixAgreement ?? Number.NaN;
        const [yLo, yHi] = range([...panel.cells.map((c) => c.prefixAgreement), ceiling], 0.2);
        const X = (v: number): number => x0 + ((v - xLo) / (xHi - xLo || 1)) * panelW;
        const Y = (v: number): number => y0 + panelH - ((v - yLo) / (yHi - yLo || 1)) * panelH;
        out.push(`<text x="${x0}" y="${y0 - 8}" font-size="14" font-weight="bold" fill="#222">${esc(panel.name)}</text>`);
        out.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#bbb"/>`);
        for (let t = 0; t <= 4; t++) {
            const yv = yLo + ((yHi - yLo) * t) / 4;
            const xv = xLo + ((xHi - xLo) * t) / 4;
            out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${Y(yv).toFixed(1)}" y2="${Y(yv).toFixed(1)}" stroke="#eee"/>`);
            out.push(`<text x="${x0 - 6}" y="${(Y(yv) + 4).toFixed(1)}" font-size="10" fill="#666" text-anchor="end">${percent(yv, yHi - yLo)}</text>`);
            out.push(`<text x="${X(xv).toFixed(1)}" y="${y0 + panelH + 14}" font-size="10" fill="#666" text-anchor="middle">${percent(xv, xHi - xLo)}</text>`);
        }
        // What recomputing every kept token gets: no policy's line is expected above it.
        if (Number.isFinite(ceiling)) {
            const y = Y(ceiling).toFixed(1);
            out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${y}" y2="${y}" stroke="#555" stroke-dasharray="5 4"/>`);
            out.push(
                `<text x="${x0 + panelW - 4}" y="${Number(y) - 4}" font-size="10" fill="#555" text-anchor="end">ceiling ${(ceiling * 100).toFixed(1)}%</text>`
            );
        }
        out.push(`<text x="${x0 + panelW / 2}" y="${y0 + panelH + 30}" font-size="11" fill="#444" text-anchor="middle">prompt tokens reused</text>`);
        if (i % cols === 0)
            out.push(
                `<text transform="translate(${x0 - 44} ${y0 + panelH / 2}) rotate(-90)" font-size="11" fill="#444" text-anchor="middle">token agreement</text>`
            );
        for (const policy of recomputePolicies) {
            const cells = panel.cells.filter((c) => c.policy === policy && Number.isFinite(c.reuse) && Number.isFinite(c.prefixAgreement));
            const color = POLICY_COLORS[policy];
            if (cells.length > 1)
                out.push(
                    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${cells.map((c) => `${X(c.reuse).toFixed(1)},${Y(c.prefixAgreement).toFixed(1)}`).join(" ")}"/>`
                );
            for (const c of cells)
                out.push(
                    `<circle cx="${X(c.reuse).toFixed(1)}" cy="${Y(c.prefixAgreement).toFixed(1)}" r="${policy === "none" ? 5 : 3}" fill="${color}"><title>${esc(
                        `${panel.name} · ${c.key}: agreement ${(c.prefixAgreement * 100).toFixed(1)}%, reuse ${(c.reuse * 100).toFixed(1)}%, ROUGE-L ${c.rougeL.toFixed(3)}`
                    )}</title></circle>`
                );
        }
    });
    const fy = top + rows * (panelH + gapY) + 4;
    input.footer.forEach((line, i) => out.push(`<text x="${left}" y="${fy + i * 16}" font-size="11.5" fill="#444">${esc(line)}</text>`));
    out.push("</svg>");
    return out.join("\n") + "\n";
}

/** The bench's chart: every workload and the workload mean, the goal verdicts and timing underneath. */
export function tradeoffChart(
    stamp: string,
    quick: boolean,
    model: string,
    workloads: readonly WorkloadCells[],
    all: WorkloadCells,
    goals: readonly GoalResult[],
    timing: TimingResult | undefined
): string {
    const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "–");
    const ttft = timing?.policies.map((p) => `${p.policy} ${ms(median(p.requests.map((r) => r.ttftMs)))}`);
    return tradeoffSvg({
        title: "KVShare recompute policies: agreement with full prefill vs prompt reuse",
        subtitle: `${stamp}${quick ? " (--quick)" : ""} · ${model}, greedy, max_tokens 32 · one line per policy through budgets 0.05–0.3, none = one point, dashed: every kept token recomputed`,
        panels: [...workloads, all],
        footer: [
            ...goals.map((g) => `${g.verdict}: ${g.goal} — ${g.detail.length > 110 ? `${g.detail.slice(0, 110)}…` : g.detail}`),
            timing == null
                ? "timing part not run"
                : `Timing (dummy ~0.5 B, 2 threads, letters, budget ${GOAL_BUDGET}): TTFT median ms ${ttft?.join(", ")}; ` +
                  `TPOT dhd ${ms(timing.decodeCost.dhdTpotMs)} ms, dhd-decode ${ms(timing.decodeCost.dhdDecodeTpotMs)} ms`
        ]
    });
}
