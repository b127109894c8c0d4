import type {TokenLogprob} from "../../runtime/types.js";
import {prepareChatAnswer, type ChatAnswer} from "../chatAnswer.js";
import type {RequestContext} from "../context.js";
import {ApiError, sendJson} from "../errors.js";
import {ResponseEvents} from "../responses/responseEvents.js";
import {outputOf, responseDone, responseInProgress} from "../responses/responseObject.js";
import {responsesParam, toChatRequest} from "../responses/responsesRequest.js";
import {streamGeneration} from "../streamGeneration.js";

/**
 * POST /v1/responses: the Responses API (stateless), answered by the chat pipeline — KV sharing, sampling, structured
 * output and function calls as for chat completions.
 */
export async function postResponses(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const answer = prepare(ctx, toChatRequest(body));
    const started = responseInProgress(body, answer.modelId);

    if (!answer.params.stream) {
        const result = await answer.run();
        return sendJson(ctx.res, 200, responseDone(started, result, outputOf(result, answer.read(result))), ctx.corsHeaders);
    }

    const events = new ResponseEvents(started);
    // Offered functions: text goes out as it comes until a call may be starting; what was held back goes out at the
    // end as the calls' items, or as text when it was none. A required call's answer is the call alone.
    const hold = answer.streamHold();
    let heldLogprobs: TokenLogprob[] = [];
    await streamGeneration(
        ctx,
        {
            style: {named: true, terminator: false},
            head: () => events.head(),
            delta: (text, logprobs) => {
                if (answer.forced) return null;
                if (hold == null) return events.text(text, logprobs);
                const safe = hold.push(text);
                if (logprobs != null) heldLogprobs.push(...logprobs);
                if (safe.length === 0) return null;
                const sent = heldLogprobs;
                heldLogprobs = [];
                return events.text(safe, logprobs == null ? undefined : sent);
            },
            finish: (result) => {
                const read = answer.read(result);
                const rest = read.calls == null ? (hold?.held ?? "") : "";
                return [...(rest === "" ? [] : events.text(rest, heldLogprobs)), ...events.finish(result, read)];
            },
            failure: (error) => events.failure(error),
            usage: () => null
        },
        false,
        answer.run
    );
}

/** The chat answer to the request; a refusal of its parameters names them as the Responses request does. */
function prepare(ctx: RequestContext, chat: Record<string, unknown>): ChatAnswer {
    try {
        return prepareChatAnswer(ctx, chat);
    } catch (error) {
        if (!(error instanceof ApiError) || error.param == null) throw error;
        const param = responsesParam(error.param);
        const message = error.message
            .replace(/'max_tokens'/g, "'max_output_tokens'")
            .replace(/'response_format'/g, "'text.format'")
            .replace(/'messages(\[\d+\])?[^']*'/g, "'input'");
        throw new ApiError(error.status, error.type, message, error.code, param, error.headers);
    }
}
