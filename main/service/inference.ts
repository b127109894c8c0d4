import type {Token} from "node-llama-cpp";
import type {SharingSettings} from "../config/settings.js";
import type {RequestLog} from "../insights/RequestLog.js";
import {anonymousUser, scopeFor} from "../sharing/engine/scopes.js";
import {checkTextLength} from "../runtime/errors.js";
import type {SharedPrompt} from "../sharing/engine/types.js";
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
    private readonly arrivalListeners = new Set<() => void>();

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
        const sharing = this.sharingSettings();
        const scope = scopeFor(io.user, sharing, io.group);
        for (const listener of this.arrivalListeners) listener();
        const prompt: SharedPrompt = {tokens, text, scope, detail: io.detail ?? false, revealDonor: io.revealDonor ?? false};
        const result = await this.runtime.run({
            promptTokens: tokens,
            maxTokens: settings.maxTokens,
            maxTokensExplicit: settings.maxTokensExplicit,
            stops,
            sampling: settings.sampling,
            signal: io.signal,
            onText: io.onText,
            arrivedAt: io.arrivedAt
        }, prompt);
        const best = prompt.assessment?.candidates.at(-1);
        this.requestLog?.add({
            at: Date.now(),
            user: io.user ?? anonymousUser,
            scope,
            mode: result.kvshare.mode,
            promptTokens: result.promptTokens,
            reusedTokens: result.cachedTokens,
            completionTokens: result.completionTokens,
            ttftMs: result.timings.ttftMs,
            donorId: result.kvshare.mode === "semantic" ? prompt.trace?.donorId : undefined,
            recomputedTokens: result.kvshare.recomputed_tokens,
            queueMs: result.timings.queueMs,
            donorSimilarity: result.kvshare.donor?.similarity,
            bestSimilarity: best?.[0],
            reusableTokens: best?.[1] ?? 0,
            prefixFloor: prompt.trace?.prefixFloor,
            threshold: prompt.trace?.similarityThreshold,
            budget: prompt.trace?.recomputeBudget,
            minGain: prompt.trace?.minGainTokens,
            policy: sharing.scopePolicy,
            // Only requests that went through admission with sharing on feed the what-if curves.
            candidates: prompt.assessment != null && sharing.enabled && prompt.trace != null ? prompt.assessment.candidates : undefined,
            budgetReuse: prompt.trace?.budgetReuse,
            stages: result.kvshare.stages,
            replayTokens: result.kvshare.mode === "semantic" ? tokens : undefined
        });
        return result;
    }

    /**
     * Calls `listener` as each request arrives, before it is queued: the idle quality monitor stops
     * at once so that nobody waits for it. Returns the unsubscribe function.
     */
    public onArrival(listener: () => void): () => void {
        this.arrivalListeners.add(listener);
        return () => this.arrivalListeners.delete(listener);
    }
}
