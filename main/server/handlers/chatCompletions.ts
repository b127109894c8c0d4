import type {ChatCompletion, ChatCompletionChunk, FinishReason} from "../../../shared/openai.js";
import type {GenerationJob, GenerationResult, TokenLogprob} from "../../runtime/types.js";
import {generationIo, type RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {newId, systemFingerprint, toChatLogprobs, toFinishReason, toTimings, toUsage, unixNow} from "../openaiShape.js";
import {refuseSpecialTokenText, toOfferedCalls, toToolCalls, type ToolCall} from "../toolCalls.js";
import {CallStreamHold} from "../../runtime/callSyntax.js";
import {streamGeneration} from "../streamGeneration.js";
import {checkModel, parseChatRequest, parseKvShareOptions} from "../validate.js";

/** POST /v1/chat/completions */
export async function postChatCompletions(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const pipeline = ctx.host.requirePipeline();
    checkModel(body, pipeline.runtime.modelId);
    const params = parseChatRequest(body, ctx.host.settings.limits.maxTokensCap, pipeline.runtime.prompts.vocabularySize);
    const kvshare = parseKvShareOptions(body, "chat");
    refuseSpecialTokenText(params.tools, params.messages, (text) => pipeline.runtime.prompts.specialTokenText(text));
    const base = {id: newId("chatcmpl"), created: unixNow(), model: pipeline.runtime.modelId, system_fingerprint: systemFingerprint};
    const run = (onText?: GenerationJob["onText"]) => pipeline.chat(params.messages, params, generationIo(ctx, params.user, body, kvshare, onText));

    // A required tool call: the answer (held to the arguments' grammar) is the call, not content. Offered
    // functions: the answer may call them in the model's own call syntax, after some text or none.
    const forced = params.toolCall;
    const offered = params.tools;
    const syntax = offered == null ? undefined : pipeline.runtime.prompts.callSyntax;
    // Read once per answer (the finish reason and the message both need it; call ids are drawn once).
    const readAnswers = new WeakMap<GenerationResult, {content: string | null; calls?: ToolCall[]}>();
    const answered = (result: GenerationResult): {content: string | null; calls?: ToolCall[]} => {
        const known = readAnswers.get(result);
        if (known != null) return known;
        const made =
            forced != null
                ? {content: null, calls: toToolCalls(forced, result.text)}
                : ((offered == null || syntax == null ? null : toOfferedCalls(offered, syntax, result.text)) ?? {content: result.text});
        readAnswers.set(result, made);
        return made;
    };
    const legacy = forced?.legacy ?? offered?.legacy ?? false;
    const finishReason = (result: GenerationResult): FinishReason =>
        (forced != null && result.finishReason !== "length") || (forced == null && answered(result).calls != null)
            ? legacy
                ? "function_call"
                : "tool_calls"
            : toFinishReason(result.finishReason);
    /** The call as the request asked for it: `tool_calls`, or the legacy API's single `function_call`. */
    const messageCalls = (made: ToolCall[]) => (legacy ? {function_call: made[0]!.function} : {tool_calls: made});
    const deltaCalls = (made: ToolCall[]) => (legacy ? {function_call: made[0]!.function} : {tool_calls: made.map((call, index) => ({index, ...call}))});

    if (!params.stream) {
        const result = await run();
        const {content, calls} = answered(result);
        const response: ChatCompletion = {
            ...base,
            object: "chat.completion",
            choices: [
                {
                    index: 0,
                    message: calls == null ? {role: "assistant", content} : {role: "assistant", content, ...messageCalls(calls)},
                    finish_reason: finishReason(result),
                    logprobs: result.logprobs == null ? null : toChatLogprobs(result.logprobs)
                }
            ],
            usage: toUsage(result),
            timings: toTimings(result),
            x_kvshare: result.kvshare
        };
        return sendJson(ctx.res, 200, response, ctx.corsHeaders);
    }

    const chunk = (
        delta: ChatCompletionChunk["choices"][number]["delta"],
        finish: GenerationResult | null,
        logprobs?: readonly TokenLogprob[]
    ): ChatCompletionChunk => ({
        ...base,
        object: "chat.completion.chunk",
        choices: [
            {
                index: 0,
                delta,
                finish_reason: finish == null ? null : finishReason(finish),
                logprobs: logprobs == null ? null : toChatLogprobs(logprobs)
            }
        ],
        ...(finish == null ? {} : {timings: toTimings(finish), x_kvshare: finish.kvshare})
    });
    // Offered functions: text goes out as it comes until a call may be starting; what was held back then goes
    // out at the end as calls, or as text when it was none.
    const hold = syntax == null ? undefined : new CallStreamHold(syntax);
    let heldLogprobs: TokenLogprob[] = [];
    await streamGeneration(
        ctx,
        {
            head: () => chunk({role: "assistant", content: ""}, null),
            // A tool call goes out whole once the answer is over (it is known only then), in a chunk of its own
            // before the finish reason's, as OpenAI sends them (the SDK's stream helpers expect that order).
            delta: (text, logprobs) => {
                if (forced != null) return logprobs == null ? null : chunk({}, null, logprobs);
                if (hold == null) return chunk({content: text}, null, logprobs);
                const safe = hold.push(text);
                if (logprobs != null) heldLogprobs.push(...logprobs);
                if (safe.length === 0) return null;
                const sent = heldLogprobs;
                heldLogprobs = [];
                return chunk({content: safe}, null, logprobs == null ? undefined : sent);
            },
            finish: (result) => {
                const {calls} = answered(result);
                const rest = hold?.held ?? "";
                const last = heldLogprobs.length === 0 ? undefined : heldLogprobs;
                if (calls != null) return [chunk(deltaCalls(calls), null, last), chunk({}, result)];
                return [...(rest.length === 0 ? [] : [chunk({content: rest}, null, last)]), chunk({}, result)];
            },
            usage: (result): ChatCompletionChunk => ({
                ...base,
                object: "chat.completion.chunk",
                choices: [],
                usage: toUsage(result),
                timings: toTimings(result),
                x_kvshare: result.kvshare
            })
        },
        params.includeUsage,
        run
    );
}
