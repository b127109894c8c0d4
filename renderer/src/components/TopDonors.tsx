import type {Scale} from "chart.js";
import {Bar} from "react-chartjs-2";
import type {CacheStats} from "../../../shared/admin.js";
import {distinctStarts, fitText, fitToAxis, wrapText} from "../lib/chartText.js";
import {ChartBox} from "./ChartBox.js";
import {ChartEmpty, chartColors as colors, staticChart as common} from "./chartParts.js";
import {topDonorsSummary} from "./chartSummaries.js";

type Donor = CacheStats["topDonors"][number];

/** A donor's text on one line; its id where the view leaves the prompt out (another scope's, in a scope's view). */
function donorText(donor: Donor): string {
    return donor.prompt?.replace(/\s+/g, " ").trim() ?? `#${donor.id} · another scope's prompt`;
}

/** The donors' bar labels: each one's text on one short line, from where it parts from the others' (see distinctStarts). */
export function donorLabels(donors: readonly Donor[]): string[] {
    return distinctStarts(donors.map(donorText)).map((text) => fitText(text, 42, (t) => t.length));
}

/** A donor bar's tooltip title: the donor's whole text (within reason), in lines that fit a phone's chart. */
export function donorTitle(stats: CacheStats, index: number): string[] {
    const donor = stats.topDonors[index];
    return donor == null ? [] : wrapText(donorText(donor), 40, 6);
}

/** The prompts reused most as donors in the window, still cached, each a bar of its reuses. */
export function TopDonors({stats}: {stats: CacheStats}) {
    if (stats.topDonors.length === 0)
        return (
            <ChartEmpty className="chart-box short">
                {stats.totals.donorHits > 0
                    ? "None of the prompts reused as donors in this window is cached any more."
                    : "No donor has been reused yet. Ask a paraphrase of an earlier question."}
            </ChartEmpty>
        );
    const labels = donorLabels(stats.topDonors);
    return (
        <ChartBox className="chart-box short" summary={topDonorsSummary(stats, labels)}>
            <Bar
                data={{
                    labels,
                    datasets: [
                        {label: "Times reused", data: stats.topDonors.map((d) => d.hits), backgroundColor: colors.rate, borderRadius: 4, maxBarThickness: 26}
                    ]
                }}
                options={{
                    ...common,
                    indexAxis: "y",
                    plugins: {
                        legend: {display: false},
                        // The whole text, where the bar's label has only its start.
                        tooltip: {callbacks: {title: (items) => donorTitle(stats, items[0]?.dataIndex ?? -1)}}
                    },
                    scales: {
                        x: {beginAtZero: true, ticks: {precision: 0}, grid: {color: colors.grid}},
                        y: {
                            grid: {display: false},
                            ticks: {
                                callback(this: Scale, _value, index) {
                                    return fitToAxis(this, labels[index] ?? "");
                                }
                            }
                        }
                    }
                }}
            />
        </ChartBox>
    );
}
