/** Plain-text tables and the hand-built SVG chart of the sharing bench. */

export function table(head: string[], rows: string[][], rightAlignFrom = 1): string {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const fmt = (cells: string[]): string => cells.map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ");
    return [fmt(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : "–");
export const ms1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "–");

export function mean(xs: readonly number[]): number {
    return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function median(xs: readonly number[]): number {
    if (xs.length === 0) return Number.NaN;
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export interface ChartInput {
    title: string;
    subtitle: string;
    workloads: string[];
    modes: {label: string; color: string}[];
    /** One panel per metric: values[workload][mode], 0..1. */
    panels: {title: string; values: number[][]}[];
    footer: string[];
}

/** Grouped bar chart, one panel per metric, values 0..1 shown as percentages / decimals on the bars. */
export function barChartSvg(input: ChartInput): string {
    const width = 1200;
    const left = 70;
    const right = 20;
    const top = 110;
    const panelHeight = 250;
    const panelGap = 84;
    const plotWidth = width - left - right;
    const height = top + input.panels.length * (panelHeight + panelGap) + 20 + input.footer.length * 16;
    const groupWidth = plotWidth / Math.max(1, input.workloads.length);
    const barWidth = Math.min(40, (groupWidth - 24) / Math.max(1, input.modes.length));
    const out: string[] = [];
    out.push(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`
    );
    out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
    out.push(`<text x="${left}" y="28" font-size="20" font-weight="bold" fill="#222">${esc(input.title)}</text>`);
    out.push(`<text x="${left}" y="50" font-size="13" fill="#555">${esc(input.subtitle)}</text>`);
    let lx = left;
    for (const mode of input.modes) {
        out.push(`<rect x="${lx}" y="62" width="14" height="14" fill="${mode.color}"/>`);
        out.push(`<text x="${lx + 20}" y="74" font-size="13" fill="#222">${esc(mode.label)}</text>`);
        lx += 30 + mode.label.length * 7.5;
    }
    input.panels.forEach((panel, p) => {
        const y0 = top + p * (panelHeight + panelGap) + 24;
        const yOf = (v: number): number => y0 + panelHeight - Math.max(0, Math.min(1, v)) * panelHeight;
        out.push(`<text x="${left}" y="${y0 - 24}" font-size="15" font-weight="bold" fill="#222">${esc(panel.title)}</text>`);
        for (let t = 0; t <= 4; t++) {
            const v = t / 4;
            out.push(`<line x1="${left}" x2="${width - right}" y1="${yOf(v)}" y2="${yOf(v)}" stroke="${t === 0 ? "#888" : "#e3e3e3"}" stroke-width="1"/>`);
            out.push(`<text x="${left - 8}" y="${yOf(v) + 4}" font-size="11" fill="#666" text-anchor="end">${v.toFixed(2)}</text>`);
        }
        input.workloads.forEach((w, g) => {
            const gx = left + g * groupWidth + (groupWidth - barWidth * input.modes.length) / 2;
            input.modes.forEach((mode, m) => {
                const v = panel.values[g]?.[m] ?? Number.NaN;
                const x = gx + m * barWidth;
                if (Number.isFinite(v)) {
                    const y = yOf(v);
                    out.push(
                        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${(y0 + panelHeight - y).toFixed(1)}" fill="${mode.color}"><title>${esc(`${w} · ${mode.label}: ${v.toFixed(3)}`)}</title></rect>`
                    );
                    out.push(
                        `<text x="${(x + (barWidth - 3) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" font-size="9.5" fill="#333" text-anchor="middle">${v >= 0.995 && v <= 1 ? "1" : v.toFixed(2).replace(/^0/, "")}</text>`
                    );
                }
            });
            out.push(
                `<text x="${(left + (g + 0.5) * groupWidth).toFixed(1)}" y="${y0 + panelHeight + 18}" font-size="12" fill="#222" text-anchor="middle">${esc(w)}</text>`
            );
        });
    });
    const fy = top + input.panels.length * (panelHeight + panelGap) + 4;
    input.footer.forEach((line, i) => out.push(`<text x="${left}" y="${fy + i * 16}" font-size="11.5" fill="#444">${esc(line)}</text>`));
    out.push("</svg>");
    return out.join("\n") + "\n";
}
