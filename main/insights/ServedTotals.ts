import type {RequestLogEntry} from "./requestLogRows.js";

/**
 * Counters of what was served since this process started, as Prometheus counters want them (they only grow; a
 * restart starts them over, which Prometheus reads as a reset): unlike the request log they are not pruned by age.
 */
export class ServedTotals {
    /** Requests served, by how their prompt's KV was had (x_kvshare's `mode`). */
    public readonly requestsByMode = new Map<string, number>();
    public promptTokens = 0;
    /** Prompt tokens whose KV came from the cache (a donor's or the sequence's own prefix). */
    public reusedTokens = 0;
    public recomputedTokens = 0;
    public completionTokens = 0;
    /** Seconds to the first token, the wait for a sequence included, summed (÷ requests: the mean). */
    public ttftSeconds = 0;
    public queueSeconds = 0;

    public add(entry: Pick<RequestLogEntry, "mode" | "promptTokens" | "reusedTokens" | "recomputedTokens" | "completionTokens" | "ttftMs" | "queueMs">): void {
        this.requestsByMode.set(entry.mode, (this.requestsByMode.get(entry.mode) ?? 0) + 1);
        this.promptTokens += entry.promptTokens;
        this.reusedTokens += entry.reusedTokens;
        this.recomputedTokens += entry.recomputedTokens ?? 0;
        this.completionTokens += entry.completionTokens;
        this.ttftSeconds += entry.ttftMs / 1000;
        this.queueSeconds += (entry.queueMs ?? 0) / 1000;
    }

    public get requests(): number {
        let sum = 0;
        for (const count of this.requestsByMode.values()) sum += count;
        return sum;
    }
}
