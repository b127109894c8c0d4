import type {GenerationJob, GenerationResult, TokenLogprob} from "../runtime/types.js";
import type {RequestContext} from "./context.js";
import {toApiError} from "./errors.js";
import {SseWriter} from "./sse.js";

/** How one endpoint shapes its stream chunks. */
export interface StreamShape {
    /** Sent once before the first text (e.g. the assistant role delta). */
    head?(): unknown;
    /** A piece of the answer, with the log-probabilities of its tokens when they were asked for; null: nothing to send. */
    delta(text: string, logprobs?: readonly TokenLogprob[]): unknown;
    /** The last chunks: what the answer still adds (a tool call), then the finish reason. */
    finish(result: GenerationResult): unknown[];
    usage(result: GenerationResult): unknown;
}

/**
 * Runs a generation and streams it as SSE. Headers are held back until the first text, so failures
 * before it (queue full, context overflow) are thrown to the server's error path and get their proper
 * HTTP status, CORS headers and logging; a failure after it
 * is sent in-stream as `data: {"error": ...}`, which OpenAI clients raise as an APIError.
 */
export async function streamGeneration(
    ctx: RequestContext,
    shape: StreamShape,
    includeUsage: boolean,
    run: (onText: NonNullable<GenerationJob["onText"]>) => Promise<GenerationResult>
): Promise<void> {
    const sse = new SseWriter(ctx.res, ctx.corsHeaders);
    let started = false;
    const begin = () => {
        if (started) return;
        started = true;
        const head = shape.head?.();
        if (head != null) sse.send(head);
    };
    let result: GenerationResult;
    try {
        result = await run((text, logprobs) => {
            begin();
            const chunk = shape.delta(text, logprobs);
            if (chunk != null) sse.send(chunk);
        });
    } catch (error) {
        if (!started) throw error;
        sse.send(toApiError(error).toBody());
        sse.done();
        return;
    }
    begin();
    for (const chunk of shape.finish(result)) sse.send(chunk);
    if (includeUsage) sse.send(shape.usage(result));
    sse.done();
}
