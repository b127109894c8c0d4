import type {ControlledEvaluateInputItem, LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token} from "node-llama-cpp";
import {contextTokens, tokenBytes, tokenPiece} from "./tokenPiece.js";
import type {PromptLogprobs, TokenLogprob, UnscoredToken} from "./types.js";

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

/**
 * Feeds `last` (the token whose step sampled a token of probability `probability`) and reads by how many nats that
 * token led its runner-up: `options` ban it, and the probability the runner-up then takes is its share of what the
 * banned token left (p₂ / (1 − p₁)). One token's decode, without copying the distribution out of llama.cpp; the
 * sampled token is not fed. Infinity where nothing else could be sampled. Greedy steps only: at a temperature
 * node-llama-cpp's top-k / top-p would cut the distribution the share is read from.
 */
export async function runnerUpMargin(sequence: LlamaContextSequence, last: Token, probability: number, options: SequenceEvaluateOptions): Promise<number> {
    const {temperature, repeatPenalty, tokenBias} = options;
    const [output] = await sequence.controlledEvaluate([
        [last, {generateNext: {token: true, confidence: true, options: {temperature, ...(repeatPenalty == null ? {} : {repeatPenalty}), tokenBias}}}]
    ]);
    const share = output?.next.token == null ? undefined : output.next.confidence;
    const runnerUp = share == null ? 0 : share * (1 - probability);
    return runnerUp <= 0 ? Number.POSITIVE_INFINITY : Math.log(probability) - Math.log(runnerUp);
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
        const bytes = tokenBytes(model, token, text);
        return {text: pieceOrBytes(text, bytes), bytes};
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
 * A token's text as logprobs give it: a token that is part of a character split over several tokens (a byte of it)
 * has no text of its own (the tokenizer gives "" or a replacement character), and is written as OpenAI writes
 * one, "bytes:" and its bytes (`bytes:\\xe6`), so a client that reads only `token` still tells it from an empty one.
 */
function pieceOrBytes(text: string, bytes: readonly number[]): string {
    const whole = text !== "" && !text.includes("\uFFFD");
    if (whole || bytes.length === 0 || Buffer.from(text, "utf8").equals(Buffer.from(bytes))) return text;
    return `bytes:${bytes.map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}`;
}

/** Prompt tokens scored per batch: each holds the vocabulary's distribution until it is read down to `top`. */
const scoreChunkTokens = 32;

/**
 * Evaluates the prompt's `pending` tokens but the last (which decoding evaluates with the first sampled token)
 * with the model's distribution read after each, and scores every prompt token by the distribution before it:
 * a prompt token's log-probability given all before it, as evaluation harnesses read it (`echo` with
 * `logprobs`). Tokens before `pending` (KV reused rather than computed) and the first token have no
 * distribution before them and are unscored. Every scored token copies the vocabulary's probabilities out of
 * llama.cpp (tens of ms and ~10 MB on a 150k vocabulary), so the prompt goes in small batches, each read down
 * to its `top` alternatives before the next (memory stays bounded whatever the prompt's length, and other
 * requests' batches run between them), and `signal` stops it between batches.
 * @throws the signal's reason when it aborts (the sequence then holds a prefix of the prompt)
 */
export async function scorePrompt(
    model: LlamaModel,
    sequence: LlamaContextSequence,
    prompt: readonly Token[],
    pending: readonly Token[],
    top: number,
    signal: AbortSignal
): Promise<PromptLogprobs> {
    const start = prompt.length - pending.length;
    const unscored = (i: number): UnscoredToken => {
        const token = prompt[i]!;
        const text = tokenPiece(model, token, prompt.slice(Math.max(0, i - contextTokens), i));
        const bytes = tokenBytes(model, token, text);
        return {text: pieceOrBytes(text, bytes), bytes, logprob: null, top: null};
    };
    const scored: PromptLogprobs = [];
    for (let i = 0; i <= start && i < prompt.length; i++) scored.push(unscored(i));
    // Each evaluated token's distribution scores the prompt token after it.
    const evaluated = pending.slice(0, -1);
    for (let from = 0; from < evaluated.length; from += scoreChunkTokens) {
        if (signal.aborted) throw signal.reason;
        const chunk = evaluated.slice(from, from + scoreChunkTokens);
        // Sampling options left out: greedy, so the distribution is the model's own (no temperature, no top-k).
        const outputs = await sequence.controlledEvaluate(chunk.map((token): ControlledEvaluateInputItem => [token, {generateNext: {probabilities: true}}]));
        chunk.forEach((_, k) => {
            const at = start + from + k + 1;
            const probabilities = outputs[k]?.next.probabilities;
            const token = prompt[at]!;
            scored.push(
                probabilities == null ? unscored(at) : tokenLogprob(model, {token, probabilities}, prompt.slice(Math.max(0, at - contextTokens), at), top)
            );
        });
    }
    return scored;
}
