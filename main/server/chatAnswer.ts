import type {GenerationJob, GenerationResult, TokenLogprob} from "../runtime/types.js";
import {CallStreamHold} from "../runtime/callSyntax.js";
import {generationIo, type RequestContext} from "./context.js";
import {refuseSpecialTokenText, toOfferedCalls, toToolCalls, type ToolCall} from "./toolCalls.js";
import {checkModel, parseChatRequest, parseKvShareOptions, type ChatParams} from "./validate.js";

/** What an answer says: its text, or the calls it makes (after some text or none). */
export interface AnswerRead {
    content: string | null;
    calls?: ToolCall[];
}

/**
 * A chat request made ready to run, whichever API it came through (chat completions, responses): one place
 * reads the request, runs it and reads calls out of the answer, so both APIs answer the same request alike.
 */
export interface ChatAnswer {
    readonly params: ChatParams;
    readonly modelId: string;
    /** Runs the generation; `onText` gets each piece of text as it is decoded (a stream). */
    run(onText?: GenerationJob["onText"]): Promise<GenerationResult>;
    /** The answer's text and calls (read once per result: call ids are drawn once). */
    read(result: GenerationResult): AnswerRead;
    /** Whether the answer is its calls: a required call always (unless cut short by the length), offered ones if made. */
    endsInCalls(result: GenerationResult): boolean;
    /** A required call: the whole answer is the call's arguments, and no text goes out as it is decoded. */
    readonly forced: boolean;
    /** The legacy `functions` API was used (a single `function_call` is answered). */
    readonly legacy: boolean;
    /** What of a streamed answer goes out as text, and when (see {@link StreamedText}). */
    streamedText(): StreamedText;
}

/** Text of a streamed answer to send, with its tokens' log-probabilities where they were asked for. */
export interface TextPiece {
    text: string;
    logprobs?: readonly TokenLogprob[];
}

/**
 * With functions offered, a streamed answer's text goes out as it comes until a call may be starting; what was held
 * back goes out at the end as the calls, or as text where it was none. Without, every piece goes out at once.
 */
export class StreamedText {
    private heldLogprobs: TokenLogprob[] = [];

    public constructor(private readonly hold: CallStreamHold | undefined) {}

    /** What of a decoded piece may go out now; null: nothing yet. */
    public push(text: string, logprobs?: readonly TokenLogprob[]): TextPiece | null {
        if (this.hold == null) return {text, ...(logprobs == null ? {} : {logprobs})};
        const safe = this.hold.push(text);
        if (logprobs != null) this.heldLogprobs.push(...logprobs);
        if (safe.length === 0) return null;
        const sent = this.heldLogprobs;
        this.heldLogprobs = [];
        return {text: safe, ...(logprobs == null ? {} : {logprobs: sent})};
    }

    /** At the answer's end, what was held back: its text (none where the answer is calls) and its log-probabilities. */
    public rest(read: AnswerRead): TextPiece {
        const text = read.calls == null ? (this.hold?.held ?? "") : "";
        return {text, ...(this.heldLogprobs.length === 0 ? {} : {logprobs: this.heldLogprobs})};
    }
}

/** Reads a chat request's body (model, messages, sampling, tools, `x_kvshare`) and prepares its answer. */
export function prepareChatAnswer(ctx: RequestContext, body: Record<string, unknown>): ChatAnswer {
    const pipeline = ctx.host.requirePipeline();
    checkModel(body, pipeline.runtime.modelId);
    const params = parseChatRequest(body, ctx.host.settings.limits.maxTokensCap, pipeline.runtime.prompts.vocabularySize);
    const kvshare = parseKvShareOptions(body, "chat");
    refuseSpecialTokenText(params.tools, params.messages, (text) => pipeline.runtime.prompts.specialTokenText(text));
    // A required tool call: the answer (held to the arguments' grammar) is the call, not content. Offered
    // functions: the answer may call them in the model's own call syntax, after some text or none.
    const forced = params.toolCall;
    const offered = params.tools;
    const syntax = offered == null ? undefined : pipeline.runtime.prompts.callSyntax;
    const readAnswers = new WeakMap<GenerationResult, AnswerRead>();
    const read = (result: GenerationResult): AnswerRead => {
        const known = readAnswers.get(result);
        if (known != null) return known;
        const made =
            forced != null
                ? {content: null, calls: toToolCalls(forced, result.text)}
                : ((offered == null || syntax == null ? null : toOfferedCalls(offered, syntax, result.text)) ?? {content: result.text});
        readAnswers.set(result, made);
        return made;
    };
    return {
        params,
        modelId: pipeline.runtime.modelId,
        run: (onText) => pipeline.chat(params.messages, params, generationIo(ctx, params.user, body, kvshare, onText)),
        read,
        endsInCalls: (result) => (forced != null && result.finishReason !== "length") || (forced == null && read(result).calls != null),
        forced: forced != null,
        legacy: forced?.legacy ?? offered?.legacy ?? false,
        streamedText: () => new StreamedText(syntax == null ? undefined : new CallStreamHold(syntax))
    };
}
