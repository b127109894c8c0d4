import {Bar} from "react-chartjs-2";
import type {QualitySummary} from "../../../shared/admin.js";
import {canDrawCharts} from "../lib/canvas.js";
import {formatPercent} from "../lib/format.js";
import {recomputePolicyLabels} from "../lib/settingsForm.js";

const common = {responsive: true, maintainAspectRatio: false, animation: false as const};

/** The monitor's headline: how often answers from shared KV matched full compute this week. */
export function qualityHeadline(quality: QualitySummary): string {
    if (quality.checks === 0 || quality.agreement == null) {
        if (quality.share <= 0) return "The quality monitor is off: set a share in Admin settings to check answers from shared KV against full compute.";
        return quality.pending > 0
            ? `${quality.pending} answers from shared KV are waiting for an idle moment to be checked against full compute.`
            : "No answer from shared KV has been checked yet this week.";
    }
    return `Answers from shared KV matched full compute in ${formatPercent(quality.agreement)} of checked tokens this week`;
}

/**
 * The quality monitor's results: agreement overall, per recompute policy where requests were served with several,
 * and per similarity band (greedy replays, no text kept).
 */
export function QualityPanel({quality}: {quality: QualitySummary}) {
    const measured = quality.checks > 0 && quality.agreement != null;
    const bands = quality.bands.filter((band) => band.checks > 0);
    return (
        <div className="quality" data-testid="quality-panel" data-checks={quality.checks}>
            <p className={`quality-headline${measured ? " measured" : ""}`} data-testid="quality-headline">
                {qualityHeadline(quality)}
            </p>
            {measured ? (
                <dl className="quality-facts">
                    <div>
                        <dt>Checks</dt>
                        <dd data-testid="quality-checks">{quality.checks}</dd>
                    </div>
                    <div>
                        <dt>Tokens checked</dt>
                        <dd>{quality.checkedTokens}</dd>
                    </div>
                    <div>
                        <dt>ROUGE-L</dt>
                        <dd data-testid="quality-rouge">{quality.rougeL == null ? "—" : quality.rougeL.toFixed(2)}</dd>
                    </div>
                    <div>
                        <dt>Waiting</dt>
                        <dd>{quality.pending}</dd>
                    </div>
                </dl>
            ) : null}
            {quality.policies.length > 1 ? (
                <table className="quality-policies" data-testid="quality-policies">
                    <caption className="muted small">By recompute policy (requests may name their own)</caption>
                    <thead>
                        <tr>
                            <th scope="col">Policy</th>
                            <th scope="col">Checks</th>
                            <th scope="col">Identical tokens</th>
                            <th scope="col">ROUGE-L</th>
                        </tr>
                    </thead>
                    <tbody>
                        {quality.policies.map((row) => (
                            <tr key={row.policy} data-policy={row.policy}>
                                <th scope="row">{recomputePolicyLabels[row.policy]}</th>
                                <td>{row.checks}</td>
                                <td>{row.agreement == null ? "—" : formatPercent(row.agreement)}</td>
                                <td>{row.rougeL == null ? "—" : row.rougeL.toFixed(2)}</td>
                            </tr>
                        ))}
                    </tbody>
                </table>
            ) : null}
            {bands.length > 0 && canDrawCharts() ? (
                <div className="chart-box short">
                    <Bar
                        data={{
                            labels: bands.map((band) => `similarity ${band.label} (${band.checks})`),
                            datasets: [
                                {
                                    label: "Identical tokens up to the first difference %",
                                    data: bands.map((band) => 100 * (band.agreement ?? 0)),
                                    backgroundColor: "#16a34a",
                                    borderRadius: 4,
                                    maxBarThickness: 22
                                },
                                {
                                    label: "ROUGE-L %",
                                    data: bands.map((band) => 100 * (band.rougeL ?? 0)),
                                    backgroundColor: "rgba(37, 99, 235, 0.55)",
                                    borderRadius: 4,
                                    maxBarThickness: 22
                                }
                            ]
                        }}
                        options={{
                            ...common,
                            indexAxis: "y",
                            plugins: {legend: {position: "bottom", labels: {boxWidth: 12}}},
                            scales: {x: {min: 0, max: 100}, y: {grid: {display: false}}}
                        }}
                    />
                </div>
            ) : null}
        </div>
    );
}
