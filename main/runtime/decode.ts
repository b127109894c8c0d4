import {randomInt} from "node:crypto";
import {LlamaGrammarEvaluationState, TokenBias, type LlamaContextSequence, type LlamaModel, type SequenceEvaluateOptions, type Token} from "node-llama-cpp";
import {RequestTimeoutError} from "./abortReasons.js";
import {ContextOverflowError} from "./errors.js";
import {TextStreamer} from "./TextStreamer.js";
import type {GuardVerdict, InPlaceToken} from "../kv/index.js";
import {runnerUpMargin, sampledTokens, scorePrompt, tokenLogprob, type LogprobDetail} from "./logprobs.js";
import type {GenerationJob, GenerationResult, PromptLogprobs, Sampling, TokenLogprob} from "./types.js";

/** What decoding produced; the caller adds the prompt's side (reuse, timings) to make the result. */
export interface Decoded {
    text: string;
    finishReason: GenerationResult["finishReason"];
    completionTokens: number;
    /** The answer's tokens (an end-of-generation token not included). */
    tokens: Token[];
    /** performance.now() when the first token was sampled (the end of prefill). */
    firstTokenAt: number;
    /**
     * performance.now() when the decode of `pendingTokens` gave its first token, before any check of it or hook: with one
     * pending token, the time of one decode pass from the start of the call (0 where no token came).
     */
    pendingDecodedAt: number;
    endedAt: number;
    /** With `job.logprobs`: one per token whose text was sent. */
    logprobs?: TokenLogprob[];
    /** With `job.promptLogprobs`: one per prompt token. */
    promptLogprobs?: PromptLogprobs;
}

/** Where a caller that fixes the sequence's KV while it is decoded steps in. */
export interface DecodeHooks {
    /** Runs once the prompt's KV is complete (at the first sampled token), before decoding goes on. */
    onPrefilled?: () => Promise<void>;
    /** Runs after each sampled token, before the next one is decoded (the sequence's KV may be fixed up then). */
    beforeNextToken?: () => Promise<void>;
    /**
     * Shown each greedy token's probability before the token is taken (only under greedy decoding, where the answer
     * is the one the distributions decide, and not with a grammar nor with prompt logprobs): "fixed" when it fixed the
     * sequence's KV, and then the token is sampled again from the last token fed, decoded anew over the fixed KV;
     * "done" when no later check could fix anything (none is made then, nor is the probability read any more).
     * `taken`: answer tokens taken before this one; `computed`: the cells decoding itself computed so far over the
     * KV as it was, but the last one fed (which is decoded again); `margin`: by how many nats the token leads its
     * runner-up (read by decoding the last token fed again: one token's decode, where copying the distribution out
     * of llama.cpp would cost more than that on a large vocabulary; awaited before the hook returns).
     */
    recheck?: (probability: number, taken: number, computed: () => readonly InPlaceToken[], margin: () => Promise<number>) => Promise<GuardVerdict>;
}

/**
 * Decodes an answer on a sequence whose KV already holds the prompt except `pendingTokens`: samples
 * tokens until EOS, a stop string, the token limit or abort, streaming safe text through `job.onText`.
 * Every endpoint (chat, completions, the desktop IPC) goes through here.
 */
export async function decode(
    model: LlamaModel,
    sequence: LlamaContextSequence,
    pendingTokens: Token[],
    job: GenerationJob,
    hooks: DecodeHooks = {}
): Promise<Decoded> {
    const {onPrefilled, beforeNextToken} = hooks;
    const prompt = job.promptTokens;
    const maxTokens = Math.min(job.maxTokens ?? Number.POSITIVE_INFINITY, sequence.contextSize - prompt.length);
    const streamer = new TextStreamer((tokens, lastTokens) => model.detokenize(tokens, job.specialText ?? false, lastTokens), job.stops, prompt);

    let firstTokenAt = 0;
    let pendingDecodedAt = 0;
    let completionTokens = 0;
    let text = "";
    let finishReason: GenerationResult["finishReason"] = "length";
    // A token's log-probability goes out with the text that completes the token's own: not before (its text may yet
    // turn out to be a stop string's start, held back), and never for a token whose text ends past a stop string's
    // start. `end`: the answer's length through the token, once its text is decoded.
    const logprobs: TokenLogprob[] | undefined = job.logprobs == null ? undefined : [];
    let unsent: Array<{logprob: TokenLogprob; end?: number}> = [];
    const markDecoded = () => {
        if (!streamer.allDecoded) return;
        for (const item of unsent) item.end ??= streamer.decodedLength;
    };
    const emit = (piece: string) => {
        if (piece.length === 0) return;
        text += piece;
        const due = unsent.filter((item) => item.end != null && item.end <= text.length);
        unsent = unsent.filter((item) => !due.includes(item));
        const sent = due.map((item) => item.logprob);
        logprobs?.push(...sent);
        job.onText?.(piece, logprobs == null ? undefined : sent);
    };

    let pending = pendingTokens;
    const generated: Token[] = [];
    let promptLogprobs: PromptLogprobs | undefined;
    if (job.promptLogprobs === true && maxTokens > 0 && !job.signal.aborted) {
        promptLogprobs = await scorePrompt(model, sequence, prompt, pendingTokens, job.logprobs ?? 0, job.signal);
        pending = pendingTokens.slice(-1);
        job.onPromptLogprobs?.(promptLogprobs);
    }

    if (maxTokens > 0 && !job.signal.aborted) {
        const options = toEvaluateOptions(job.sampling, generated, model, job.grammar != null);
        const evaluateOptions =
            job.grammar == null ? options : {...options, grammarEvaluationState: new LlamaGrammarEvaluationState({model, grammar: job.grammar})};
        let recheck = rechecks(job) ? hooks.recheck : undefined;
        // Reading a token's probability sorts the vocabulary at each token: only while something asks for it.
        const detail = (): LogprobDetail => (logprobs != null ? ((job.logprobs ?? 0) > 0 ? "top" : "chosen") : recheck != null ? "chosen" : "none");
        /** What the iterator reads of each step, or "ended" where a margin read ended it (the last token fed is decoded anew). */
        let reading: LogprobDetail | "ended" = detail();
        const feed = (tokens: Token[]) => {
            reading = detail();
            return sampledTokens(sequence, tokens, evaluateOptions, reading);
        };
        let iterator = feed(pending);
        const firstPending = prompt.length - pending.length;
        /** Ends the iterator and takes the last cell fed out of the sequence, to be decoded anew: its token. */
        const takeLastFed = async (): Promise<Token> => {
            await iterator.return();
            const fed = sequence.contextTokens;
            const last = fed.at(-1)!;
            await sequence.eraseContextTokenRanges([{start: fed.length - 1, end: fed.length}]);
            return last;
        };
        const ban = (token: Token) => toTokenBias(new Map([...(job.sampling.logitBias ?? []), [token, -100]]), model, false);
        try {
            for (;;) {
                const next = await iterator.next();
                if (next.done === true) break;
                if (pendingDecodedAt === 0) pendingDecodedAt = performance.now();
                const sampled = next.value;
                const probability = sampled.confidence ?? sampled.probabilities?.get(sampled.token);
                if (recheck != null && probability != null && !job.signal.aborted) {
                    // Every cell decoding computed but the last one fed; the answer's are after the prompt.
                    const computed = (): InPlaceToken[] =>
                        [
                            ...pending.map((token, i) => ({position: firstPending + i, token})),
                            ...generated.map((token, i) => ({position: prompt.length + i, token}))
                        ].slice(0, -1);
                    const margin = async (): Promise<number> => {
                        reading = "ended";
                        const last = await takeLastFed();
                        return runnerUpMargin(sequence, last, probability, {...evaluateOptions, tokenBias: ban(sampled.token)});
                    };
                    const verdict = await recheck(probability, generated.length, computed, margin);
                    if (verdict !== "continue") recheck = undefined;
                    if (verdict === "fixed") {
                        // The last cell fed was computed over the KV as it was: out, and decoded anew (but where a stop
                        // or a timeout came during the recompute: the answer ends here, without it).
                        const last = await takeLastFed();
                        if (job.signal.aborted) break;
                        iterator = feed([last]);
                        continue;
                    }
                }
                const token = sampled.token;
                if (firstTokenAt === 0) {
                    await onPrefilled?.();
                    firstTokenAt = performance.now();
                }
                if (job.signal.aborted) {
                    finishReason = "aborted";
                    break;
                }
                if (model.isEogToken(token)) {
                    finishReason = "stop";
                    break;
                }
                completionTokens++;
                if (logprobs != null) unsent.push({logprob: tokenLogprob(model, sampled, generated.length > 0 ? generated : prompt, job.logprobs ?? 0)});
                generated.push(token);
                const step = streamer.push(token);
                markDecoded();
                emit(step.text);
                if (step.stopped) {
                    finishReason = "stop";
                    break;
                }
                if (completionTokens >= maxTokens) break;
                if (beforeNextToken != null) await beforeNextToken();
                if (reading !== detail()) {
                    // Ended by a margin read, or done with the checks (nothing reads probabilities any more): the token is
                    // fed by a new iterator as it would have been by this one.
                    await iterator.return();
                    iterator = feed([token]);
                }
            }
        } finally {
            await iterator.return();
        }
    }
    // A timeout cuts the answer short like a token limit; a client's stop or disconnect is an abort.
    if (job.signal.aborted) finishReason = job.signal.reason instanceof RequestTimeoutError ? "length" : "aborted";
    const rest = streamer.flush();
    markDecoded();
    if (job.grammar == null) emit(rest);
    else {
        // A held-back newline is the start of the grammar's closing newlines (JSON never ends in one): not part of
        // the answer. A token limit that cut only those (or came right at the closing bracket) did not cut the
        // answer: it had ended. (A number may go on, so one ending in a digit is not known to be complete.)
        const answer = rest.replace(/\n+$/, "");
        emit(answer);
        if (finishReason === "length" && !/\d\s*$/.test(text) && isCompleteJson(text)) finishReason = "stop";
    }

    const endedAt = performance.now();
    return {
        text,
        finishReason,
        completionTokens,
        tokens: generated,
        firstTokenAt: firstTokenAt === 0 ? endedAt : firstTokenAt,
        pendingDecodedAt,
        endedAt,
        ...(logprobs == null ? {} : {logprobs}),
        ...(promptLogprobs == null ? {} : {promptLogprobs})
    };
}

/**
 * Whether {@link decode} shows this job's tokens to a `recheck` hook: only a greedy answer's (a sampled one is a draw
 * whatever the KV, and a sampler started again would start its random sequence again), not under a grammar (its
 * state takes each token as it is sampled: one sampled again would be taken twice), nor while the prompt is scored.
 */
export function rechecks(job: Pick<GenerationJob, "sampling" | "grammar" | "promptLogprobs">): boolean {
    return job.sampling.temperature === 0 && job.grammar == null && job.promptLogprobs !== true;
}

/**
 * Whether a prompt of this length (plus an explicit max_tokens) fits a sequence. A max_tokens as large as the context
 * or larger could never fit beside any prompt: it is a client's fixed default (4096, say), not sized to this model,
 * and is read as "until the context ends" (as llama-server and LM Studio do) instead of refusing every request.
 */
export function fitsContext(promptLength: number, job: Pick<GenerationJob, "maxTokens" | "maxTokensExplicit">, contextSize: number): boolean {
    if (promptLength >= contextSize) return false;
    return !(job.maxTokensExplicit && job.maxTokens != null && job.maxTokens < contextSize && promptLength + job.maxTokens > contextSize);
}

/** Throws {@link ContextOverflowError} when the prompt (plus an explicit max_tokens) cannot fit a sequence. */
export function checkFits(promptLength: number, job: GenerationJob, contextSize: number): void {
    if (fitsContext(promptLength, job, contextSize)) return;
    throw new ContextOverflowError(promptLength, promptLength >= contextSize ? 0 : (job.maxTokens ?? 0), contextSize);
}

function toEvaluateOptions(sampling: Sampling, recentTokens: Token[], model: LlamaModel, grammar: boolean): SequenceEvaluateOptions {
    const penalties = sampling.presencePenalty !== 0 || sampling.frequencyPenalty !== 0 || sampling.repeatPenalty !== 1;
    return {
        temperature: sampling.temperature,
        topK: sampling.temperature === 0 ? undefined : sampling.topK,
        topP: sampling.temperature === 0 ? undefined : sampling.topP,
        minP: sampling.temperature === 0 ? undefined : sampling.minP,
        // Without a seed node-llama-cpp seeds with the current second: requests sent within one second would
        // sample the same answer. Each unseeded request draws its own.
        seed: sampling.seed ?? randomInt(2 ** 32),
        repeatPenalty: penalties
            ? {
                  penalty: sampling.repeatPenalty,
                  presencePenalty: sampling.presencePenalty,
                  frequencyPenalty: sampling.frequencyPenalty,
                  punishTokens: () => recentTokens.slice(-64)
              }
            : undefined,
        tokenBias: sampling.logitBias == null ? undefined : toTokenBias(sampling.logitBias, model, grammar),
        // The end-of-generation token comes back (it is not decoded): that is how a natural end is told from
        // a token limit (`finish_reason` "stop", not "length").
        yieldEogToken: true
    };
}

function toTokenBias(biases: ReadonlyMap<number, number>, model: LlamaModel, grammar: boolean): TokenBias {
    const bias = new TokenBias(model.tokenizer);
    for (const [token, value] of biases) {
        const logit = value <= -100 ? -Infinity : value;
        if (!model.isEogToken(token as Token)) bias.set(token as Token, {logit});
        // A grammar must be able to end: node-llama-cpp fails outside any caller's reach when its end is banned.
        else if (!grammar) eogBiases(bias).set(token as Token, logit);
    }
    return bias;
}

/**
 * The map node-llama-cpp builds llama.cpp's logit-bias sampler from. Its `set` skips end-of-generation tokens, but
 * the sampler takes any token and OpenAI biases the end of text as any other (banning it is how a client asks for a
 * long answer): those go into the map directly. It is internal: a version without it fails here, loudly, rather than
 * ignore the bias.
 */
function eogBiases(bias: TokenBias): Map<Token, number> {
    const map = (bias as unknown as {_biases?: unknown})._biases;
    if (!(map instanceof Map)) throw new Error("node-llama-cpp's TokenBias has no bias map: logit_bias on the end-of-text token needs an update here");
    return map as Map<Token, number>;
}

function isCompleteJson(text: string): boolean {
    try {
        JSON.parse(text);
        return true;
    } catch {
        return false;
    }
}
