import type {Completion, CompletionLogprobs} from "../../../shared/openai.js";
import type {Token} from "node-llama-cpp";
import type {GenerationJob, PromptLogprobs} from "../../runtime/types.js";
import {contextTokens, tokenPiece} from "../../runtime/tokenPiece.js";
import {generationIo, type RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {characters, newId, systemFingerprint, toCompletionLogprobs, toFinishReason, toTimings, toUsage, tokenCharacters, unixNow} from "../openaiShape.js";
import {streamGeneration} from "../streamGeneration.js";
import {checkModel, parseCompletionRequest, parseKvShareOptions} from "../validate.js";

/** POST /v1/completions (legacy text completions) */
export async function postCompletions(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const pipeline = ctx.host.requirePipeline();
    checkModel(body, pipeline.runtime.modelId);
    const params = parseCompletionRequest(body, ctx.host.settings.limits.maxTokensCap, pipeline.runtime.prompts.vocabularySize);
    const kvshare = parseKvShareOptions(body, "completion");
    const base = {
        id: newId("cmpl"),
        object: "text_completion" as const,
        created: unixNow(),
        model: pipeline.runtime.modelId,
        system_fingerprint: systemFingerprint
    };
    // A prompt of token ids is taken as given; its text is what echo shows and what is embedded: as a text prompt's
    // reads (a start token is no text), so that the echoed tokens' pieces and offsets add up to it.
    const tokens = params.promptTokens as Token[] | undefined;
    const promptText =
        tokens == null
            ? params.prompt
            : tokens.map((token, i) => tokenPiece(pipeline.runtime.model, token, tokens.slice(Math.max(0, i - contextTokens), i))).join("");
    /** With `echo` and `logprobs`: the prompt's tokens' (scored before any text). */
    let promptLogprobs: CompletionLogprobs | undefined;
    const onPromptLogprobs = (entries: PromptLogprobs) => {
        promptLogprobs = toCompletionLogprobs(entries, 0);
    };
    const run = (onText?: GenerationJob["onText"]) =>
        pipeline.complete(promptText, params, {...generationIo(ctx, params.user, body, kvshare, onText), onPromptLogprobs}, tokens);
    const echo = params.echo ? promptText : "";
    /**
     * Characters of the choice's text covered by the log-probabilities sent so far: the next entry's offset. Not the
     * text sent: a token's entry goes out with the chunk that completes its text, which may have begun in an earlier one.
     */
    let covered = characters(echo);

    if (!params.stream) {
        const result = await run();
        const response: Completion = {
            ...base,
            choices: [
                {
                    index: 0,
                    text: echo + result.text,
                    finish_reason: toFinishReason(result.finishReason),
                    logprobs: result.logprobs == null ? null : joined(promptLogprobs, toCompletionLogprobs(result.logprobs, characters(echo)))
                }
            ],
            usage: toUsage(result),
            timings: toTimings(result),
            x_kvshare: result.kvshare
        };
        return sendJson(ctx.res, 200, response, ctx.corsHeaders);
    }

    await streamGeneration(
        ctx,
        {
            head: () => (echo === "" ? null : {...base, choices: [{index: 0, text: echo, finish_reason: null, logprobs: promptLogprobs ?? null}]}),
            delta: (text, logprobs): Completion => {
                const chunk: Completion = {
                    ...base,
                    choices: [{index: 0, text, finish_reason: null, logprobs: logprobs == null ? null : toCompletionLogprobs(logprobs, covered)}]
                };
                if (logprobs != null) covered += tokenCharacters(logprobs);
                return chunk;
            },
            finish: (result): Completion[] => [
                {
                    ...base,
                    choices: [{index: 0, text: "", finish_reason: toFinishReason(result.finishReason), logprobs: null}],
                    timings: toTimings(result),
                    x_kvshare: result.kvshare
                }
            ],
            usage: (result): Completion => ({...base, choices: [], usage: toUsage(result), timings: toTimings(result), x_kvshare: result.kvshare})
        },
        params.includeUsage,
        run
    );
}

/** The echoed prompt's log-probabilities (when scored) followed by the answer's. */
function joined(prompt: CompletionLogprobs | undefined, answer: CompletionLogprobs): CompletionLogprobs {
    if (prompt == null) return answer;
    return {
        tokens: [...prompt.tokens, ...answer.tokens],
        token_logprobs: [...prompt.token_logprobs, ...answer.token_logprobs],
        top_logprobs: [...prompt.top_logprobs, ...answer.top_logprobs],
        text_offset: [...prompt.text_offset, ...answer.text_offset]
    };
}
