import type {ControlledEvaluateInputItem, LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token} from "node-llama-cpp";
import {contextTokens, tokenBytes, tokenPiece} from "./tokenPiece.js";
import type {PromptLogprobs, TokenLogprob} from "./types.js";

/** What a log-probability of zero probability is reported as (JSON has no -Infinity; OpenAI uses -9999). */
const floorLogprob = -9999;

/** A sampled token, with the distribution it was sampled from (or only its own probability) when asked for. */
export interface SampledToken {
    token: Token;
    /** Token → probability, most likely first (node-llama-cpp sorts them). */
    probabilities?: ReadonlyMap<Token, number>;
    /** The token's own probability. */
    confidence?: number;
}

/** What to read of each step's distribution: nothing, the chosen token's probability, or the whole of it. */
export type LogprobDetail = "none" | "chosen" | "top";

/**
 * The sequence's generated tokens with what `detail` asks of each step. The whole distribution is copied out of
 * llama.cpp into a map at every step (on the event loop: on a large vocabulary that holds up every other
 * request), so only when alternatives are asked for; the chosen token's probability comes without the copy.
 */
export async function* sampledTokens(
    sequence: LlamaContextSequence,
    tokens: Token[],
    options: SequenceEvaluateOptions,
    detail: LogprobDetail
): AsyncGenerator<SampledToken, void, undefined> {
    if (detail === "none") {
        for await (const token of sequence.evaluate(tokens, options)) yield {token};
        return;
    }
    const metadata = detail === "top" ? {probabilities: true as const} : {confidence: true as const};
    for await (const item of sequence.evaluateWithMetadata(tokens, metadata, options)) {
        const {probabilities, confidence} = item as {probabilities?: ReadonlyMap<Token, number>; confidence?: number};
        yield {token: item.token, ...(probabilities == null ? {} : {probabilities}), ...(confidence == null ? {} : {confidence})};
    }
}

const logprobOf = (probability: number | undefined): number =>
    probability == null || probability <= 0 ? floorLogprob : Math.max(floorLogprob, Math.log(probability));

/**
 * The chosen token's log-probability and the `top` most likely tokens of its step, as text (each piece
 * detokenized after the tokens before it, so a leading space comes out as the model writes it) and bytes.
 */
export function tokenLogprob(model: LlamaModel, sampled: SampledToken, previous: readonly Token[], top: number): TokenLogprob {
    const entry = (token: Token) => {
        const text = tokenPiece(model, token, previous);
        return {text, bytes: tokenBytes(model, token, text)};
    };
    const alternatives: TokenLogprob["top"] = [];
    if (sampled.probabilities != null)
        for (const [token, probability] of sampled.probabilities) {
            if (alternatives.length >= top) break;
            alternatives.push({...entry(token), logprob: logprobOf(probability)});
        }
    return {...entry(sampled.token), logprob: logprobOf(sampled.probabilities?.get(sampled.token) ?? sampled.confidence), top: alternatives};
}

/**
 * Evaluates the prompt's `pending` tokens but the last (which decoding evaluates with the first sampled token)
 * with the model's distribution read after each, and scores every prompt token by the distribution before it:
 * a prompt token's log-probability given all before it, as evaluation harnesses read it (`echo` with
 * `logprobs`). Tokens before `pending` (KV reused rather than computed) and the first token have no
 * distribution before them and are unscored. Every scored token copies the vocabulary's probabilities out of
 * llama.cpp, so this costs far more than a prefill on a large vocabulary: only on request.
 */
export async function scorePrompt(
    model: LlamaModel,
    sequence: LlamaContextSequence,
    prompt: readonly Token[],
    pending: readonly Token[],
    top: number
): Promise<PromptLogprobs> {
    const start = prompt.length - pending.length;
    // Sampling options left out: greedy, so the distribution is the model's own (no temperature, no top-k).
    const input = pending.slice(0, -1).map((token): ControlledEvaluateInputItem => [token, {generateNext: {probabilities: true}}]);
    const outputs = input.length === 0 ? [] : await sequence.controlledEvaluate(input);
    return prompt.map((token, i) => {
        const previous = prompt.slice(Math.max(0, i - contextTokens), i);
        const probabilities = i > start ? outputs[i - start - 1]?.next.probabilities : undefined;
        if (probabilities != null) return tokenLogprob(model, {token, probabilities}, previous, top);
        const text = tokenPiece(model, token, previous);
        return {text, bytes: tokenBytes(model, token, text), logprob: null, top: null};
    });
}
