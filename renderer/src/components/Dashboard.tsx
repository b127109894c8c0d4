import type {HealthResponse} from "../../../shared/openai.js";
import {useConnection} from "../stores/useConnection.js";
import {
    ArcElement,
    BarController,
    BarElement,
    CategoryScale,
    Chart as ChartJS,
    DoughnutController,
    Filler,
    Legend,
    LinearScale,
    LineController,
    LineElement,
    PointElement,
    Tooltip
} from "chart.js";
import {useEffect, useState} from "react";
import {Bar, Chart, Doughnut} from "react-chartjs-2";
import type {CacheStats} from "../../../shared/admin.js";
import {formatBytes, formatClock, formatPercent, formatSpan} from "../lib/format.js";
import {formatMs} from "../lib/stats.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {selectTokensSavedShare, useCacheStats} from "../stores/useCacheStats.js";
import {CachedPromptsPanel} from "./CachedPromptsPanel.js";
import {ChartBox} from "./ChartBox.js";
import {ChartEmpty, chartColors as colors, staticChart as common} from "./chartParts.js";
import {TopDonors} from "./TopDonors.js";
import {cacheSizeSummary, overTimeSummary, ttftSummary} from "./chartSummaries.js";
import {QualityPanel} from "./QualityPanel.js";
import {bucketTimeSaved, formatShare, nowFigures, timeSavedFigures, ttftLabel, ttftSide} from "./dashboardFigures.js";
import {ScopeName, ScopeSelect} from "./ScopeName.js";

ChartJS.register(
    ArcElement,
    BarController,
    BarElement,
    CategoryScale,
    DoughnutController,
    Filler,
    Legend,
    LinearScale,
    LineController,
    LineElement,
    PointElement,
    Tooltip
);

const REFRESH_MS = 5000;

function Card({title, value, hint, testId}: {title: string; value: string; hint?: string; testId: string}) {
    return (
        <div className="stat-card" data-testid={testId}>
            <div className="stat-card-title">{title}</div>
            <div className="stat-card-value">{value}</div>
            {hint ? <div className="stat-card-hint">{hint}</div> : null}
        </div>
    );
}

function OverTime({stats}: {stats: CacheStats}) {
    const seconds = stats.bucketMs < 60_000;
    const labels = stats.buckets.map((b) => formatClock(b.start, seconds));
    return (
        <Chart
            type="bar"
            data={{
                labels,
                datasets: [
                    {
                        type: "bar" as const,
                        label: "Tokens saved",
                        data: stats.buckets.map((b) => b.reusedTokens),
                        backgroundColor: colors.reused,
                        borderRadius: 3,
                        yAxisID: "tokens",
                        order: 2
                    },
                    {
                        type: "line" as const,
                        label: "Hit rate (from a donor)",
                        data: stats.buckets.map((b) => (b.requests === 0 ? null : (100 * b.donorHits) / b.requests)),
                        borderColor: colors.rate,
                        backgroundColor: colors.rate,
                        // A period without requests has no rate: the line breaks there rather than sloping through it.
                        spanGaps: false,
                        tension: 0.25,
                        pointRadius: 3,
                        yAxisID: "rate",
                        order: 1
                    }
                ]
            }}
            options={{
                ...common,
                interaction: {mode: "index", intersect: false},
                plugins: {
                    legend: {position: "bottom", labels: {boxWidth: 12}},
                    tooltip: {
                        callbacks: {
                            afterLabel: (item) => {
                                const bucket = stats.buckets[item.dataIndex];
                                return item.datasetIndex === 0 && bucket != null ? bucketTimeSaved(bucket) : "";
                            }
                        }
                    }
                },
                scales: {
                    x: {grid: {display: false}, ticks: {maxTicksLimit: 8, maxRotation: 0}},
                    tokens: {position: "left", beginAtZero: true, title: {display: true, text: "tokens saved"}, grid: {color: colors.grid}},
                    rate: {position: "right", min: 0, max: 100, title: {display: true, text: "hit rate %"}, grid: {display: false}}
                }
            }}
        />
    );
}

function TtftChart({stats}: {stats: CacheStats}) {
    const {withReuse, withoutReuse} = stats.ttft;
    return (
        <Bar
            data={{
                // Two lines each, never turned: on a phone a turned label ran off the card and squeezed the plot.
                labels: [ttftLabel("With reuse", withReuse), ttftLabel("Without reuse", withoutReuse)],
                datasets: [
                    {
                        label: "Mean TTFT (ms)",
                        data: [withReuse.meanMs ?? 0, withoutReuse.meanMs ?? 0],
                        backgroundColor: [colors.reused, colors.miss],
                        borderRadius: 4
                    },
                    {
                        label: "Median TTFT (ms)",
                        data: [withReuse.medianMs ?? 0, withoutReuse.medianMs ?? 0],
                        backgroundColor: [colors.reusedSoft, "rgba(148, 163, 184, 0.35)"],
                        borderColor: [colors.reused, colors.miss],
                        borderWidth: 1,
                        borderRadius: 4
                    }
                ]
            }}
            options={{
                ...common,
                plugins: {legend: {position: "bottom", labels: {boxWidth: 12}}},
                scales: {
                    x: {grid: {display: false}, ticks: {maxRotation: 0, autoSkip: false}},
                    y: {beginAtZero: true, title: {display: true, text: "ms to first token"}, grid: {color: colors.grid}}
                }
            }}
        />
    );
}

function CacheSize({stats}: {stats: CacheStats}) {
    const {bytes, budgetBytes} = stats.cache;
    const free = Math.max(0, budgetBytes - bytes);
    return (
        <div className="cache-size">
            <ChartBox className="cache-size-chart" summary={cacheSizeSummary(stats)}>
                <Doughnut
                    data={{
                        labels: ["Snapshots", "Free budget"],
                        datasets: [{data: [bytes, free], backgroundColor: [colors.warn, "rgba(148, 163, 184, 0.25)"], borderWidth: 0}]
                    }}
                    options={{
                        ...common,
                        cutout: "70%",
                        plugins: {legend: {display: false}, tooltip: {callbacks: {label: (item) => `${item.label}: ${formatBytes(Number(item.raw))}`}}}
                    }}
                />
                <div className="cache-size-center">{formatPercent(budgetBytes > 0 ? bytes / budgetBytes : 0)}</div>
            </ChartBox>
            <dl className="cache-size-facts">
                <div>
                    <dt>Used</dt>
                    <dd data-testid="cache-bytes">{formatBytes(bytes)}</dd>
                </div>
                <div>
                    <dt>Budget</dt>
                    <dd>{formatBytes(budgetBytes)}</dd>
                </div>
                <div>
                    <dt>Entries</dt>
                    <dd data-testid="cache-entries">{stats.cache.entries}</dd>
                </div>
                {stats.cache.memoryBytes == null ? null : (
                    <div title="KV of the donors used most recently, kept in memory: served without reading their files">
                        <dt>In memory</dt>
                        <dd data-testid="cache-memory">
                            {formatBytes(stats.cache.memoryBytes)} of {formatBytes(stats.cache.memoryBudgetBytes)}
                        </dd>
                    </div>
                )}
            </dl>
        </div>
    );
}

/** The cache dashboard: hit rate, tokens and ≈ time saved over time, TTFT with vs without reuse, cache size vs budget, top donors, the cached prompts. */
export function Dashboard() {
    const stats = useCacheStats((s) => s.stats);
    const error = useCacheStats((s) => s.error);
    const saved = useCacheStats(selectTokensSavedShare);
    const scope = useCacheStats((s) => s.scope);
    const liveHealth = useConnection((s) => s.health);

    // Numbers that change under the eye every few seconds can be paused (someone reading them, a screen reader):
    // the Now card too, whose health check goes on for the header meanwhile.
    const [following, setFollowing] = useState(true);
    const [heldHealth, setHeldHealth] = useState<HealthResponse | null>(null);
    const health = following ? liveHealth : heldHealth;
    useEffect(() => {
        void useCacheStats.getState().load();
        // For the scopes' names: an issued key's scope is named by its id.
        void useApiKeys.getState().load();
    }, []);
    useEffect(() => {
        if (!following) return;
        const timer = setInterval(() => void useCacheStats.getState().load(), REFRESH_MS);
        return () => clearInterval(timer);
    }, [following]);

    return (
        <div className="page dashboard" data-testid="dashboard">
            <div className="page-head">
                <div>
                    <h1>Cache dashboard</h1>
                    <p className="muted">
                        How much prompt work the shared KV cache saves, and what it costs in answer quality. History of the last{" "}
                        {stats == null ? "… days" : `${stats.historyDays} ${stats.historyDays === 1 ? "day" : "days"}`}, kept across restarts;{" "}
                        {following ? `refreshes every ${REFRESH_MS / 1000} s.` : "automatic refresh paused."}
                    </p>
                </div>
                <div className="row">
                    <ScopeSelect
                        scopes={stats?.scopes ?? []}
                        value={scope}
                        onChange={(chosen) => void useCacheStats.getState().setScope(chosen)}
                        label="Scope"
                        testId="dashboard-scope"
                    />
                    <button
                        type="button"
                        className="button"
                        data-testid="dashboard-refresh"
                        onClick={() => {
                            setHeldHealth(liveHealth);
                            void useCacheStats.getState().load();
                        }}
                    >
                        Refresh
                    </button>
                    <button
                        type="button"
                        className="button"
                        data-testid="dashboard-follow"
                        onClick={() => {
                            setHeldHealth(liveHealth);
                            setFollowing(!following);
                        }}
                    >
                        {following ? "Pause refresh" : "Resume refresh"}
                    </button>
                </div>
            </div>
            {error ? <p className="form-error">{error}</p> : null}
            {stats ? (
                <>
                    <div className="stat-cards">
                        <Card
                            testId="card-requests"
                            title="Requests"
                            value={String(stats.totals.requests)}
                            hint={`${stats.totals.donorHits} served from a donor`}
                        />
                        <Card
                            testId="card-hit-rate"
                            title="Hit rate"
                            value={formatShare(stats.totals.hitRate, stats.totals.requests)}
                            hint={`served from a donor · ${stats.totals.hits} reused some KV (own prefix included)`}
                        />
                        <Card
                            testId="card-tokens-saved"
                            title="Tokens saved"
                            value={String(stats.totals.reusedTokens)}
                            hint={`${formatShare(saved, stats.totals.promptTokens)} of ${stats.totals.promptTokens} prompt tokens`}
                        />
                        <Card testId="card-time-saved" title="Time saved" {...timeSavedFigures(stats)} />
                        <Card
                            testId="card-ttft"
                            title="Median TTFT"
                            value={stats.ttft.withReuse.medianMs == null ? "—" : formatMs(stats.ttft.withReuse.medianMs)}
                            hint={`with reuse (${ttftSide(stats.ttft.withReuse)}) · ${stats.ttft.withoutReuse.medianMs == null ? "—" : formatMs(stats.ttft.withoutReuse.medianMs)} without (${ttftSide(stats.ttft.withoutReuse)}) · queue wait left out`}
                        />
                        <Card testId="card-now" title="Now" {...nowFigures(health)} />
                    </div>
                    <div className="charts">
                        <section className="chart-card wide" data-testid="chart-over-time">
                            <h2>Hit rate &amp; tokens saved over time</h2>
                            <p className="chart-caption" data-testid="over-time-window">
                                Last {formatSpan(stats.buckets.length * stats.bucketMs)}, one bar per {formatSpan(stats.bucketMs)}; no line where no request
                                came
                            </p>
                            {stats.buckets.every((b) => b.requests === 0) ? (
                                <ChartEmpty>No request in this window yet: the bars and the line start with the first one.</ChartEmpty>
                            ) : (
                                <ChartBox summary={overTimeSummary(stats)}>
                                    <OverTime stats={stats} />
                                </ChartBox>
                            )}
                        </section>
                        <section className="chart-card" data-testid="chart-ttft">
                            <h2>TTFT with vs without reuse, queue wait left out</h2>
                            <p className="chart-caption" data-testid="ttft-caption">
                                From arrival to the first token: a request that waited for a free sequence looks slower whether it reused KV or not, so the gap
                                is not prefill alone; nor are the prompts alike (a chat&apos;s later turns, longer, reuse most): each side says its median
                                prompt length.
                            </p>
                            {stats.ttft.withReuse.count + stats.ttft.withoutReuse.count === 0 ? (
                                <ChartEmpty>No request answered yet: the times appear with the first answer.</ChartEmpty>
                            ) : (
                                <ChartBox summary={ttftSummary(stats)}>
                                    <TtftChart stats={stats} />
                                </ChartBox>
                            )}
                        </section>
                        <section className="chart-card" data-testid="chart-cache-size">
                            <h2>Cache size vs budget</h2>
                            <div className="chart-box">
                                <CacheSize stats={stats} />
                            </div>
                        </section>
                        <section className="chart-card wide" data-testid="chart-quality">
                            <h2>
                                Quality monitor
                                {stats.scope ? (
                                    <>
                                        {" · "}
                                        <ScopeName scope={stats.scope} />
                                    </>
                                ) : null}
                            </h2>
                            <QualityPanel quality={stats.quality} />
                        </section>
                        <section className="chart-card wide" data-testid="chart-top-donors">
                            <h2>Top donors</h2>
                            <TopDonors stats={stats} />
                        </section>
                    </div>
                </>
            ) : !error ? (
                <p className="muted">Loading…</p>
            ) : null}
            <CachedPromptsPanel />
        </div>
    );
}
