import type {Token} from "node-llama-cpp";
import type {SharingSettings} from "../config/settings.js";
import type {RequestLog} from "../app/RequestLog.js";
import {anonymousUser, scopeFor} from "../sharing/engine/scopes.js";
import {checkTextLength} from "../runtime/errors.js";
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
    /** Who is asking (profile, key owner or the API's `user`): decides the sharing scope. */
    user?: string;
    /** The group an issued key belongs to (overrides the settings' user → group map). */
    group?: string;
    /** Ask for token pieces in the hit record (the UI's alignment view). */
    detail?: boolean;
    /** Include donor texts in the hit record (the machine owner only). */
    revealDonor?: boolean;
}

/**
 * Chat and text completions for every caller (HTTP API, desktop IPC): builds the prompt with the
 * model's template and runs it on a pooled sequence.
 */
export class InferenceService {
    private running = 0;

    public constructor(
        public readonly runtime: ModelRuntime,
        private readonly sharingSettings: () => SharingSettings,
        private readonly requestLog?: RequestLog
    ) {}

    public chat(messages: readonly PlainMessage[], settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        checkTextLength(messages.reduce((sum, message) => sum + message.content.length, 0), this.runtime.contextSize);
        const prompt = this.runtime.prompts.chat(messages);
        const text = messages.map((message) => message.content).join("\n");
        return this.run(prompt.tokens, text, [...prompt.stops, ...settings.stops], settings, io);
    }

    public complete(text: string, settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        checkTextLength(text.length, this.runtime.contextSize);
        const prompt = this.runtime.prompts.completion(text);
        return this.run(prompt.tokens, text, settings.stops, settings, io);
    }

    /** Requests anywhere between arrival and answer (embedding, queue, generation). */
    public get inFlight(): number {
        return this.running;
    }

    private async run(tokens: readonly Token[], text: string, stops: string[], settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        this.running++;
        try {
            return await this.runCounted(tokens, text, stops, settings, io);
        } finally {
            this.running--;
        }
    }

    private async runCounted(tokens: readonly Token[], text: string, stops: string[], settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        const scope = scopeFor(io.user, this.sharingSettings(), io.group);
        const result = await this.runtime.run({
            promptTokens: tokens,
            maxTokens: settings.maxTokens,
            maxTokensExplicit: settings.maxTokensExplicit,
            stops,
            sampling: settings.sampling,
            signal: io.signal,
            onText: io.onText,
            arrivedAt: io.arrivedAt
        }, {tokens, text, scope, detail: io.detail ?? false, revealDonor: io.revealDonor ?? false});
        this.requestLog?.add({
            at: Date.now(),
            user: io.user ?? anonymousUser,
            scope,
            mode: result.kvshare.mode,
            promptTokens: result.promptTokens,
            reusedTokens: result.cachedTokens,
            completionTokens: result.completionTokens,
            ttftMs: result.timings.ttftMs,
            donorId: result.kvshare.donor?.id
        });
        return result;
    }
}
