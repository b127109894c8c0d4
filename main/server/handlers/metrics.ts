import type {AdminDeps} from "../../admin/ports.js";
import type {RequestContext, RouteHandler} from "../context.js";
import {ApiError} from "../errors.js";

/** One metric in Prometheus' text format: its help, its type, and its samples (labels → value). */
interface Metric {
    name: string;
    help: string;
    type: "counter" | "gauge";
    samples: Array<{labels?: Record<string, string>; value: number}>;
}

/** A label value escaped as the text format wants it (backslash, quote, new line). */
const labelValue = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function render(metrics: readonly Metric[]): string {
    const lines: string[] = [];
    for (const {name, help, type, samples} of metrics) {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const {labels, value} of samples) {
            const tags =
                labels == null
                    ? ""
                    : `{${Object.entries(labels)
                          .map(([key, v]) => `${key}="${labelValue(v)}"`)
                          .join(",")}}`;
            lines.push(`${name}${tags} ${Number.isFinite(value) ? value : 0}`);
        }
    }
    return lines.join("\n") + "\n";
}

const one = (name: string, help: string, type: Metric["type"], value: number): Metric => ({name, help, type, samples: [{value}]});

/**
 * GET /metrics: Prometheus' text format, for a clinic's monitoring to scrape. llama-server's names where the
 * meaning is the same (`llamacpp:prompt_tokens_total`, `llamacpp:requests_processing`, …), `kvshare_*` for what
 * KV sharing adds (requests by how their KV was had, tokens reused, the cache). Counters count since this start.
 * The app's own key only: how busy the server is and what it caches are the machine owner's to watch.
 */
export function getMetrics(admin: Pick<AdminDeps, "requestLog" | "cache" | "settings">): RouteHandler {
    return (ctx: RequestContext) => {
        if (!ctx.identity.admin) throw new ApiError(403, "permission_error", "The metrics are for the app's own key.", "admin_only");
        const totals = admin.requestLog.totals;
        const health = ctx.host.health();
        const cache = admin.cache();
        const {sharing} = admin.settings;
        const metrics: Metric[] = [
            // As llama-server counts it: the prompt tokens computed (those whose KV came from the cache are not).
            one(
                "llamacpp:prompt_tokens_total",
                "Prompt tokens computed (new, and reused ones computed again).",
                "counter",
                totals.promptTokens - totals.reusedTokens
            ),
            one("kvshare_prompt_tokens_total", "Prompt tokens of the requests served, reused ones included.", "counter", totals.promptTokens),
            one("llamacpp:tokens_predicted_total", "Tokens generated.", "counter", totals.completionTokens),
            one("llamacpp:requests_processing", "Requests holding a sequence now.", "gauge", health.slots_busy ?? 0),
            one("llamacpp:requests_deferred", "Requests waiting for a sequence now.", "gauge", health.queued ?? 0),
            {
                name: "kvshare_requests_total",
                help: "Requests served, by how their prompt's KV was had (x_kvshare mode: semantic, prefix, none, …).",
                type: "counter",
                samples: [...totals.requestsByMode].sort(([a], [b]) => a.localeCompare(b)).map(([mode, value]) => ({labels: {mode}, value}))
            },
            one("kvshare_prompt_tokens_reused_total", "Prompt tokens whose KV came from the cache instead of a prefill.", "counter", totals.reusedTokens),
            one(
                "kvshare_prompt_tokens_recomputed_total",
                "Reused prompt tokens computed again for quality (the recompute budget).",
                "counter",
                totals.recomputedTokens
            ),
            one(
                "kvshare_time_to_first_token_seconds_total",
                "Seconds to the first token, summed over the requests served (÷ their count: the mean).",
                "counter",
                totals.ttftSeconds
            ),
            one("kvshare_queue_wait_seconds_total", "Seconds waited for a sequence, summed over the requests served.", "counter", totals.queueSeconds),
            {
                name: "kvshare_sequences",
                help: "The model's sequences (parallel requests), idle or busy.",
                type: "gauge",
                samples: [
                    {labels: {state: "idle"}, value: health.slots_idle ?? 0},
                    {labels: {state: "busy"}, value: health.slots_busy ?? 0}
                ]
            },
            {
                name: "kvshare_model_loaded",
                help: "1 while a model is loaded and serving, labelled with its name.",
                type: "gauge",
                // 0 without a label while no model is loaded, so that an alert on 0 fires then too.
                samples: health.model == null ? [{value: 0}] : [{labels: {model: health.model}, value: health.status === "ok" ? 1 : 0}]
            },
            one("kvshare_cache_entries", "Cached prompts (donors) of every model.", "gauge", cache?.count() ?? 0),
            one("kvshare_cache_bytes", "Bytes of the cached prompts' KV snapshot files.", "gauge", cache?.totalBytes() ?? 0),
            one("kvshare_cache_budget_bytes", "The snapshot files' byte budget (sharing.maxSnapshotBytes).", "gauge", sharing.maxSnapshotBytes),
            one("kvshare_cache_memory_bytes", "Bytes of KV held in the memory tier.", "gauge", cache?.memoryBytes ?? 0),
            one("kvshare_cache_memory_budget_bytes", "The memory tier's byte budget (sharing.maxMemoryBytes).", "gauge", sharing.maxMemoryBytes)
        ];
        ctx.res.writeHead(200, {...ctx.corsHeaders, "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store"});
        ctx.res.end(render(metrics));
    };
}
