import {prepareChatAnswer, type ChatAnswer} from "../chatAnswer.js";
import type {RequestContext} from "../context.js";
import {ApiError, sendJson, toApiError} from "../errors.js";
import {ClientGoneError} from "../../runtime/abortReasons.js";
import {ResponseEvents} from "../responses/responseEvents.js";
import {outputOf, responseDone, responseInProgress} from "../responses/responseObject.js";
import {responsesMessage, responsesParam, toChatRequest} from "../responses/responsesRequest.js";
import {streamGeneration} from "../streamGeneration.js";

/**
 * POST /v1/responses: the Responses API (stateless), answered by the chat pipeline — KV sharing, sampling, structured
 * output and function calls as for chat completions.
 */
export async function postResponses(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const answer = renamingErrors(() => prepareChatAnswer(ctx, toChatRequest(body)));
    const started = responseInProgress(body, answer.modelId, answer.params.sampling);
    // Refusals while it runs (a schema the grammar cannot hold, the context exceeded) name the Responses parameters too.
    const run: ChatAnswer["run"] = (onText) =>
        answer.run(onText).catch((error: unknown) => {
            throw renamed(error);
        });

    if (!answer.params.stream) {
        const result = await run();
        return sendJson(ctx.res, 200, responseDone(started, result, outputOf(result, answer.read(result))), ctx.corsHeaders);
    }

    const events = new ResponseEvents(started);
    // Text held back while a call may be starting goes out at the end as the calls' items, or as text; a required
    // call's answer is the call alone.
    const streamed = answer.streamedText();
    await streamGeneration(
        ctx,
        {
            style: {named: true, terminator: false},
            head: () => events.head(),
            delta: (text, logprobs) => {
                if (answer.forced) return null;
                const piece = streamed.push(text, logprobs);
                return piece == null ? null : events.text(piece.text, piece.logprobs);
            },
            finish: (result) => {
                const read = answer.read(result);
                const rest = streamed.rest(read);
                return [...(rest.text === "" ? [] : events.text(rest.text, rest.logprobs)), ...events.finish(result, read)];
            },
            failure: (error) => events.failure(error),
            usage: () => null
        },
        false,
        run
    );
}

/** `work`'s result; a refusal it throws names the parameters (and shows their shapes) as the Responses request has them. */
function renamingErrors<T>(work: () => T): T {
    try {
        return work();
    } catch (error) {
        throw renamed(error);
    }
}

/** A refusal of the request (a 4xx) in the Responses API's names; anything else as it is (a client gone, a failure). */
function renamed(error: unknown): unknown {
    if (error instanceof ClientGoneError) return error;
    const refusal = toApiError(error);
    if (refusal.status >= 500) return error;
    return new ApiError(refusal.status, refusal.type, responsesMessage(refusal.message), refusal.code, responsesParam(refusal.param), refusal.headers);
}
