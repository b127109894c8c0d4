import type {ServerResponse} from "node:http";

/**
 * Server-sent events in the format OpenAI clients parse: `data: <json>` events separated by a blank
 * line, ending with `data: [DONE]`.
 */
export class SseWriter {
    private started = false;

    public constructor(
        private readonly res: ServerResponse,
        private readonly headers: Record<string, string>
    ) {}

    public send(value: unknown): void {
        this.start();
        if (!this.res.writableEnded) this.res.write(`data: ${JSON.stringify(value)}\n\n`);
    }

    public done(): void {
        this.start();
        if (!this.res.writableEnded) this.res.end("data: [DONE]\n\n");
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
