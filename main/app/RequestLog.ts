import type {KvShareRecord} from "../../shared/openai.js";

/** What the dashboard needs to know about one served request. */
export interface RequestLogEntry {
    /** Unix milliseconds when the request finished. */
    at: number;
    user: string;
    scope: string;
    mode: KvShareRecord["mode"];
    promptTokens: number;
    reusedTokens: number;
    completionTokens: number;
    ttftMs: number;
    donorId?: number;
}

/**
 * The most recent served requests, in memory (a ring buffer): the source of the cache dashboard's
 * hit rate, tokens saved and TTFT-with/without-reuse charts.
 */
export class RequestLog {
    private readonly entries: RequestLogEntry[] = [];

    public constructor(private readonly capacity = 10_000) {}

    public add(entry: RequestLogEntry): void {
        this.entries.push(entry);
        if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    }

    /** Entries since `since` (unix ms), oldest first. */
    public since(since = 0): RequestLogEntry[] {
        return this.entries.filter((entry) => entry.at >= since);
    }

    public clear(): void {
        this.entries.length = 0;
    }
}
