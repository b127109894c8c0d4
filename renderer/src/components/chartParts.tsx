/** What the dashboard's charts share: their colours, their static options, and their place while empty. */

/** The charts' colours: green for reuse, blue for rates, grey for misses. */
export const chartColors = {
    reused: "#16a34a",
    reusedSoft: "rgba(22, 163, 74, 0.18)",
    rate: "#2563eb",
    miss: "#94a3b8",
    warn: "#d97706",
    grid: "rgba(113, 113, 122, 0.15)"
};

/** Static charts: screenshots and tests see the final picture. */
export const staticChart = {responsive: true, maintainAspectRatio: false, animation: false as const};

/** A chart's place while it has nothing to draw: it says so, where bare axes would read as zeros. */
export function ChartEmpty({className = "chart-box", children}: {className?: string; children: string}) {
    return (
        <div className={className}>
            <p className="muted chart-empty">{children}</p>
        </div>
    );
}
