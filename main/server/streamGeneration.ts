import type {GenerationJob, GenerationResult, TokenLogprob} from "../runtime/types.js";
import type {RequestContext} from "./context.js";
import {toApiError, type ApiError} from "./errors.js";
import {SseWriter, type SseStyle} from "./sse.js";

/** How one endpoint shapes its stream chunks. An array stands for several events, sent in turn. */
export interface StreamShape {
    /** How the events are written (default: `data:` lines ending with `data: [DONE]`). */
    style?: SseStyle;
    /** Sent once before the first text (e.g. the assistant role delta). */
    head?(): unknown;
    /** A piece of the answer, with the log-probabilities of its tokens when they were asked for; null: nothing to send. */
    delta(text: string, logprobs?: readonly TokenLogprob[]): unknown;
    /** What a failure after the first text is sent as (default: the error's JSON body, which the OpenAI SDKs raise). */
    failure?(error: ApiError): unknown[];
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
    const sse = new SseWriter(ctx.res, ctx.corsHeaders, shape.style);
    const send = (events: unknown): void => {
        if (Array.isArray(events)) for (const event of events) sse.send(event);
        else if (events != null) sse.send(events);
    };
    let started = false;
    const begin = () => {
        if (started) return;
        started = true;
        send(shape.head?.());
    };
    let result: GenerationResult;
    try {
        result = await run((text, logprobs) => {
            begin();
            send(shape.delta(text, logprobs));
        });
    } catch (error) {
        if (!started) throw error;
        const failure = toApiError(error);
        send(shape.failure?.(failure) ?? failure.toBody());
        sse.done();
        return;
    }
    begin();
    send(shape.finish(result));
    if (includeUsage) sse.send(shape.usage(result));
    sse.done();
}
