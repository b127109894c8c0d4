import type {ChatCompletion, ChatCompletionChunk, FinishReason} from "../../../shared/openai.js";
import type {GenerationResult, TokenLogprob} from "../../runtime/types.js";
import {prepareChatAnswer} from "../chatAnswer.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {newId, systemFingerprint, toChatLogprobs, toFinishReason, toTimings, toUsage, unixNow} from "../openaiShape.js";
import type {ToolCall} from "../toolCalls.js";
import {streamGeneration} from "../streamGeneration.js";

/** POST /v1/chat/completions */
export async function postChatCompletions(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const answer = prepareChatAnswer(ctx, body);
    const {params, run, legacy} = answer;
    const answered = answer.read;
    const base = {id: newId("chatcmpl"), created: unixNow(), model: answer.modelId, system_fingerprint: systemFingerprint};
    const finishReason = (result: GenerationResult): FinishReason =>
        answer.endsInCalls(result) ? (legacy ? "function_call" : "tool_calls") : toFinishReason(result.finishReason);
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
    const streamed = answer.streamedText();
    await streamGeneration(
        ctx,
        {
            head: () => chunk({role: "assistant", content: ""}, null),
            // A tool call goes out whole once the answer is over (it is known only then), in a chunk of its own
            // before the finish reason's, as OpenAI sends them (the SDK's stream helpers expect that order).
            delta: (text, logprobs) => {
                if (answer.forced) return logprobs == null ? null : chunk({}, null, logprobs);
                const piece = streamed.push(text, logprobs);
                return piece == null ? null : chunk({content: piece.text}, null, piece.logprobs);
            },
            finish: (result) => {
                const read = answered(result);
                const rest = streamed.rest(read);
                if (read.calls != null) return [chunk(deltaCalls(read.calls), null, rest.logprobs), chunk({}, result)];
                return [...(rest.text.length === 0 ? [] : [chunk({content: rest.text}, null, rest.logprobs)]), chunk({}, result)];
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
