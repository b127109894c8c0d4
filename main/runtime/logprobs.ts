import type {LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token} from "node-llama-cpp";
import type {TokenLogprob} from "./types.js";

/** What a log-probability of zero probability is reported as (JSON has no -Infinity; OpenAI uses -9999). */
const floorLogprob = -9999;

/** A sampled token, with the distribution it was sampled from when log-probabilities were asked for. */
export interface SampledToken {
    token: Token;
    /** Token → probability, most likely first (node-llama-cpp sorts them). */
    probabilities?: ReadonlyMap<Token, number>;
}

/**
 * The sequence's generated tokens, each with its step's probabilities when `withProbabilities` (node-llama-cpp
 * then copies the whole vocabulary's distribution out of llama.cpp at every step, so only when asked).
 */
export async function* sampledTokens(
    sequence: LlamaContextSequence,
    tokens: Token[],
    options: SequenceEvaluateOptions,
    withProbabilities: boolean
): AsyncGenerator<SampledToken, void, undefined> {
    if (!withProbabilities) {
        for await (const token of sequence.evaluate(tokens, options)) yield {token};
        return;
    }
    for await (const item of sequence.evaluateWithMetadata(tokens, {probabilities: true}, options))
        yield {token: item.token, probabilities: item.probabilities};
}

/**
 * The chosen token's log-probability and the `top` most likely tokens of its step, as text (each piece
 * detokenized after the tokens before it, so a leading space comes out as the model writes it).
 */
export function tokenLogprob(model: LlamaModel, sampled: SampledToken, previous: readonly Token[], top: number): TokenLogprob {
    const piece = (token: Token) => model.detokenize([token], false, previous.slice(-8));
    const logprob = (probability: number | undefined) =>
        probability == null || probability <= 0 ? floorLogprob : Math.max(floorLogprob, Math.log(probability));
    const alternatives: TokenLogprob["top"] = [];
    if (sampled.probabilities != null)
        for (const [token, probability] of sampled.probabilities) {
            if (alternatives.length >= top) break;
            alternatives.push({text: piece(token), logprob: logprob(probability)});
        }
    return {text: piece(sampled.token), logprob: logprob(sampled.probabilities?.get(sampled.token)), top: alternatives};
}
