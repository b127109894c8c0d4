import type {ServerResponse} from "node:http";

/** How a stream's events are written: chat and text completions' way, or the Responses API's. */
export interface SseStyle {
    /** Each event named by its JSON's `type` (`event: response.output_text.delta`), as the Responses API sends them. */
    named: boolean;
    /** Ends with `data: [DONE]` (chat and text completions; the Responses API ends with its last event). */
    terminator: boolean;
}

const completionsStyle: SseStyle = {named: false, terminator: true};

/**
 * Server-sent events in the format OpenAI clients parse: `data: <json>` events separated by a blank
 * line, ending with `data: [DONE]` (or named events without it: {@link SseStyle}).
 */
export class SseWriter {
    private started = false;

    public constructor(
        private readonly res: ServerResponse,
        private readonly headers: Record<string, string>,
        private readonly style: SseStyle = completionsStyle
    ) {}

    public send(value: unknown): void {
        this.start();
        if (this.res.writableEnded) return;
        const type = this.style.named ? (value as {type?: unknown} | null)?.type : undefined;
        this.res.write(`${typeof type === "string" ? `event: ${type}\n` : ""}data: ${JSON.stringify(value)}\n\n`);
    }

    public done(): void {
        this.start();
        if (!this.res.writableEnded) this.res.end(this.style.terminator ? "data: [DONE]\n\n" : undefined);
    }

    private start(): void {
        if (this.started) return;
        this.started = true;
        this.res.writeHead(200, {
            ...this.headers,
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "x-accel-buffering": "no"
        });
        this.res.flushHeaders();
    }
}
