import type {Token} from "node-llama-cpp";
import type {ModelRuntime} from "../runtime/ModelRuntime.js";
import type {PlainMessage} from "../runtime/PromptBuilder.js";
import type {GenerationResult, Sampling} from "../runtime/types.js";

/** What one generation needs besides its prompt: limits, sampling, stop strings. */
export interface GenerationSettings {
    maxTokens?: number;
    maxTokensExplicit: boolean;
    stops: string[];
    sampling: Sampling;
}

/** How a caller follows a generation: streamed text, cancellation, arrival time for TTFT. */
export interface GenerationIo {
    signal: AbortSignal;
    onText?(text: string): void;
    arrivedAt: number;
}

/**
 * Chat and text completions for every caller (HTTP API, desktop IPC): builds the prompt with the
 * model's template and runs it on a pooled sequence.
 */
export class InferenceService {
    public constructor(public readonly runtime: ModelRuntime) {}

    public chat(messages: readonly PlainMessage[], settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        const prompt = this.runtime.prompts.chat(messages);
        return this.run(prompt.tokens, [...prompt.stops, ...settings.stops], settings, io);
    }

    public complete(text: string, settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        const prompt = this.runtime.prompts.completion(text);
        return this.run(prompt.tokens, settings.stops, settings, io);
    }

    private run(tokens: readonly Token[], stops: string[], settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        return this.runtime.run({
            promptTokens: tokens,
            maxTokens: settings.maxTokens,
            maxTokensExplicit: settings.maxTokensExplicit,
            stops,
            sampling: settings.sampling,
            signal: io.signal,
            onText: io.onText,
            arrivedAt: io.arrivedAt
        });
    }
}
