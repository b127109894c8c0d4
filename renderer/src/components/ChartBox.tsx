import type {ReactNode} from "react";
import {canDrawCharts} from "../lib/canvas.js";

/**
 * Where a chart is drawn, as one image named by `summary`: a canvas holds no text a screen reader can
 * read, so the summary says in words what the chart shows, with its key numbers. Without a canvas (the
 * unit tests' DOM) only the drawing is skipped.
 */
export function ChartBox({summary, className = "chart-box", children}: {summary: string; className?: string; children: ReactNode}) {
    return (
        <div className={className} role="img" aria-label={summary}>
            {/* The canvas is an image of its own to the browser: hidden, so the chart is named once. */}
            {canDrawCharts() ? (
                <div className="chart-drawing" aria-hidden="true">
                    {children}
                </div>
            ) : null}
        </div>
    );
}
