import type {LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token} from "node-llama-cpp";
import {ContextOverflowError} from "./errors.js";
import {TextStreamer} from "./TextStreamer.js";
import type {GenerationJob, GenerationResult, Sampling} from "./types.js";

/**
 * Runs one generation on a sequence the caller holds: reuses the longest exact prefix of the
 * sequence's cached tokens, evaluates the rest of the prompt, then samples until EOS, a stop string,
 * the token limit or abort. Every endpoint (chat, completions, the desktop IPC) goes through here.
 */
export async function generate(model: LlamaModel, sequence: LlamaContextSequence, job: GenerationJob, queueMs: number): Promise<GenerationResult> {
    const prompt = [...job.promptTokens];
    const contextSize = sequence.contextSize;
    checkFits(prompt.length, job, contextSize);
    const maxTokens = Math.min(job.maxTokens ?? Number.POSITIVE_INFINITY, contextSize - prompt.length);

    const cachedTokens = await reusePrefix(sequence, prompt);
    const streamer = new TextStreamer(
        (tokens, lastTokens) => model.detokenize(tokens, false, lastTokens),
        job.stops
    );

    const evaluateStart = performance.now();
    let firstTokenAt = 0;
    let completionTokens = 0;
    let text = "";
    let finishReason: GenerationResult["finishReason"] = "length";
    const emit = (piece: string) => {
        if (piece.length === 0) return;
        text += piece;
        job.onText?.(piece);
    };

    if (maxTokens > 0 && !job.signal.aborted) {
        finishReason = "length";
        const generated: Token[] = [];
        const iterator = sequence.evaluate(prompt.slice(cachedTokens), toEvaluateOptions(job.sampling, generated));
        try {
            for await (const token of iterator) {
                if (firstTokenAt === 0) firstTokenAt = performance.now();
                if (job.signal.aborted) {
                    finishReason = "aborted";
                    break;
                }
                if (model.isEogToken(token)) {
                    finishReason = "stop";
                    break;
                }
                completionTokens++;
                generated.push(token);
                const step = streamer.push(token);
                emit(step.text);
                if (step.stopped) {
                    finishReason = "stop";
                    break;
                }
                if (completionTokens >= maxTokens) break;
            }
        } finally {
            await iterator.return();
        }
        if (job.signal.aborted) finishReason = "aborted";
    } else if (job.signal.aborted) {
        finishReason = "aborted";
    }
    emit(streamer.flush());

    const end = performance.now();
    if (firstTokenAt === 0) firstTokenAt = end;
    const computed = prompt.length - cachedTokens;
    return {
        text,
        finishReason,
        promptTokens: prompt.length,
        completionTokens,
        cachedTokens,
        timings: {
            queueMs,
            promptMs: firstTokenAt - evaluateStart,
            predictedMs: end - firstTokenAt,
            ttftMs: firstTokenAt - job.arrivedAt
        },
        kvshare: {mode: cachedTokens > 0 ? "prefix" : "none", reused_tokens: cachedTokens, computed_tokens: computed}
    };
}

function checkFits(promptLength: number, job: GenerationJob, contextSize: number): void {
    if (promptLength >= contextSize)
        throw new ContextOverflowError(promptLength, 0, contextSize);
    if (job.maxTokensExplicit && job.maxTokens != null && promptLength + job.maxTokens > contextSize)
        throw new ContextOverflowError(promptLength, job.maxTokens, contextSize);
}

/**
 * Keeps the sequence's cached KV for the longest common prefix with the prompt and erases the rest.
 * At least one prompt token is always left to evaluate, since sampling needs its logits.
 * @returns the number of prompt tokens reused
 */
export async function reusePrefix(sequence: LlamaContextSequence, prompt: Token[]): Promise<number> {
    const {firstDifferentIndex} = sequence.compareContextTokens(prompt);
    const reuse = Math.min(firstDifferentIndex, prompt.length - 1);
    if (sequence.nextTokenIndex > reuse)
        await sequence.eraseContextTokenRanges([{start: reuse, end: sequence.nextTokenIndex}]);
    return reuse;
}

function toEvaluateOptions(sampling: Sampling, recentTokens: Token[]): SequenceEvaluateOptions {
    const penalties = sampling.presencePenalty !== 0 || sampling.frequencyPenalty !== 0 || sampling.repeatPenalty !== 1;
    return {
        temperature: sampling.temperature,
        topK: sampling.temperature === 0 ? undefined : sampling.topK,
        topP: sampling.temperature === 0 ? undefined : sampling.topP,
        minP: sampling.temperature === 0 ? undefined : sampling.minP,
        seed: sampling.seed,
        repeatPenalty: penalties
            ? {
                penalty: sampling.repeatPenalty,
                presencePenalty: sampling.presencePenalty,
                frequencyPenalty: sampling.frequencyPenalty,
                punishTokens: () => recentTokens.slice(-64)
            }
            : undefined
    };
}
