import type {ChatCompletion, ChatCompletionChunk, FinishReason} from "../../../shared/openai.js";
import type {GenerationJob, GenerationResult, TokenLogprob} from "../../runtime/types.js";
import {requester, type RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {newId, systemFingerprint, toChatLogprobs, toFinishReason, toTimings, toUsage, unixNow} from "../openaiShape.js";
import {toToolCalls, type ToolCall} from "../toolCalls.js";
import {streamGeneration} from "../streamGeneration.js";
import {checkModel, parseChatRequest, parseKvShareOptions} from "../validate.js";

/** POST /v1/chat/completions */
export async function postChatCompletions(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const pipeline = ctx.host.requirePipeline();
    checkModel(body, pipeline.runtime.modelId);
    const params = parseChatRequest(body, ctx.host.settings.limits.maxTokensCap);
    const recompute = parseKvShareOptions(body);
    const base = {id: newId("chatcmpl"), created: unixNow(), model: pipeline.runtime.modelId, system_fingerprint: systemFingerprint};
    const run = (onText?: GenerationJob["onText"]) =>
        pipeline.chat(params.messages, params, {
            signal: ctx.signal,
            arrivedAt: ctx.arrivedAt,
            onText,
            ...requester(ctx, params.user),
            detail: body.x_kvshare_detail === true,
            recompute
        });

    // A required tool call: the answer (held to the arguments' grammar) is the call, not content.
    const forced = params.toolCall;
    const calls = (result: GenerationResult) => (forced == null ? undefined : toToolCalls(forced, result.text));
    const finishReason = (result: GenerationResult): FinishReason =>
        forced != null && result.finishReason !== "length" ? (forced.legacy ? "function_call" : "tool_calls") : toFinishReason(result.finishReason);
    /** The call as the request asked for it: `tool_calls`, or the legacy API's single `function_call`. */
    const messageCalls = (made: ToolCall[]) => (forced?.legacy === true ? {function_call: made[0]!.function} : {tool_calls: made});
    const deltaCalls = (made: ToolCall[]) =>
        forced?.legacy === true ? {function_call: made[0]!.function} : {tool_calls: made.map((call, index) => ({index, ...call}))};

    if (!params.stream) {
        const result = await run();
        const made = calls(result);
        const response: ChatCompletion = {
            ...base,
            object: "chat.completion",
            choices: [
                {
                    index: 0,
                    message: made == null ? {role: "assistant", content: result.text} : {role: "assistant", content: null, ...messageCalls(made)},
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
    await streamGeneration(
        ctx,
        {
            head: () => chunk({role: "assistant", content: ""}, null),
            // A tool call goes out whole once the answer is over (it is known only then), in a chunk of its own
            // before the finish reason's, as OpenAI sends them (the SDK's stream helpers expect that order).
            delta: (text, logprobs) => (forced == null ? chunk({content: text}, null, logprobs) : logprobs == null ? null : chunk({}, null, logprobs)),
            finish: (result) => {
                const made = calls(result);
                return [...(made == null ? [] : [chunk(deltaCalls(made), null)]), chunk({}, result)];
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
