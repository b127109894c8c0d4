import type {TokenLogprob} from "../../runtime/types.js";
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
