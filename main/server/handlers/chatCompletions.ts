import type {ChatCompletion, ChatCompletionChunk} from "../../../shared/openai.js";
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
    const finishReason = (result: GenerationResult, made: ToolCall[] | undefined) =>
        made != null && result.finishReason !== "length" ? "tool_calls" : toFinishReason(result.finishReason);

    if (!params.stream) {
        const result = await run();
        const made = calls(result);
        const response: ChatCompletion = {
            ...base,
            object: "chat.completion",
            choices: [
                {
                    index: 0,
                    message: made == null ? {role: "assistant", content: result.text} : {role: "assistant", content: null, tool_calls: made},
                    finish_reason: finishReason(result, made),
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
                finish_reason: finish == null ? null : finishReason(finish, calls(finish)),
                logprobs: logprobs == null ? null : toChatLogprobs(logprobs)
            }
        ],
        ...(finish == null ? {} : {timings: toTimings(finish), x_kvshare: finish.kvshare})
    });
    await streamGeneration(
        ctx,
        {
            head: () => chunk({role: "assistant", content: ""}, null),
            // A tool call's arguments go out whole with the last chunk (the call is known only once it parses).
            delta: (text, logprobs) => chunk(forced == null ? {content: text} : {}, null, logprobs),
            finish: (result) => {
                const made = calls(result);
                return chunk(made == null ? {} : {tool_calls: made.map((call, index) => ({index, ...call}))}, result);
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
