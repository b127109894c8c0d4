import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {effectiveSharing, type RecomputePolicy} from "../../shared/settings.js";
import type {SharingSettings} from "../config/settings.js";
import type {RequestLog} from "../insights/RequestLog.js";
import {toldToClient} from "../runtime/abortReasons.js";
import {checkTextLength} from "../runtime/errors.js";
import {checkFits, decode, fitsContext, rechecks, type DecodeHooks} from "../runtime/decode.js";
import type {ModelRuntime} from "../runtime/ModelRuntime.js";
import {messageText, type OfferedFunction, type PlainMessage} from "../runtime/PromptBuilder.js";
import {fitConversation} from "./fitConversation.js";
import {jsonGrammarEnd} from "../runtime/GrammarCache.js";
import type {GenerationJob, GenerationResult, OutputFormat, Sampling} from "../runtime/types.js";
import type {DonorCache} from "../sharing/cache/DonorCache.js";
import {scopeFor} from "../sharing/engine/scopes.js";
import type {SharingEngine} from "../sharing/engine/SharingEngine.js";
import type {Admission, PreparedSequence, SharedPrompt} from "../sharing/engine/types.js";
import type {CacheEntry} from "../sharing/store/index.js";
import {InFlightPrompts, type InFlightPrompt} from "./InFlightPrompts.js";
import {servedEntry} from "./servedEntry.js";

/** A prompt that would reuse at least this share of its tokens from one being prefilled waits for it. */
const coalesceMinShare = 0.5;
/**
 * How long a request waits for another's prefill (then it prefills on its own): twice what its own
 * prefill is predicted to take, within these bounds; the upper one until the rate is measured.
 */
const coalesceWaitBoundsMs = {min: 1_000, max: 30_000};
/** With the cost gate on, a prompt predicted to prefill faster than this never waits for another's. */
const coalesceMinPrefillMs = 100;

/** What one generation needs besides its prompt: limits, sampling, stop strings. */
export interface GenerationSettings {
    maxTokens?: number;
    maxTokensExplicit: boolean;
    stops: string[];
    sampling: Sampling;
    /** Structured output (`response_format`): JSON matching a schema. */
    format?: OutputFormat;
    /** Log-probabilities of the answer's tokens, with this many alternatives each. */
    logprobs?: number;
    /** The prompt's tokens' log-probabilities too (`logprobs` alternatives each): the whole prompt is computed, nothing reused. */
    promptLogprobs?: boolean;
    /** Functions the model may call (chat only): described in its template, its answer read with special tokens' text. */
    tools?: {functions: readonly OfferedFunction[]};
}

/** How a caller follows a generation: streamed text, cancellation, arrival time for TTFT. */
export interface GenerationIo {
    signal: AbortSignal;
    onText?: GenerationJob["onText"];
    /** With `promptLogprobs`: gets them before any text. */
    onPromptLogprobs?: GenerationJob["onPromptLogprobs"];
    arrivedAt: number;
    /** Who is asking (profile, key owner or the API's `user`): decides the sharing scope. */
    user?: string;
    /** The group an issued key belongs to (overrides the settings' user → group map). */
    group?: string;
    /** Ask for token pieces in the hit record (the UI's alignment view). */
    detail?: boolean;
    /** Include donor texts in the hit record (the machine owner only). */
    revealDonor?: boolean;
    /** A chat too long for the context: refused (the default, as OpenAI does), or its oldest messages left out. */
    contextOverflow?: "drop_oldest";
    /** The request's own recompute choice (`x_kvshare` in the body): policy, budget, and whether its KV is kept. */
    recompute?: {policy?: RecomputePolicy; budget?: number; store?: boolean};
}

/**
 * The one path every chat and text completion takes (HTTP API and desktop IPC alike), on one loaded
 * model, top to bottom in {@link serve}:
 *
 *   admit (embed, retrieve, align) → coalesce (wait for a like prompt being prefilled now)
 *   → schedule (a sequence, ordered by expected reuse) → prepare KV (donor edited in, or the prefix
 *   floor) → generate → capture (the served KV becomes a donor, stored in the background) → log.
 */
export class RequestPipeline {
    private running = 0;
    private readonly arrivalListeners = new Set<() => void>();
    /** Donor writes still running after their answer was sent. */
    private readonly background = new Set<Promise<unknown>>();
    /** Prompts being prefilled that similar ones may wait for (coalescing a burst). */
    private readonly inFlightPrompts = new InFlightPrompts();

    public constructor(
        public readonly runtime: ModelRuntime,
        public readonly sharing: SharingEngine,
        /** The loaded model's donor cache (the admin's cache operations work on it). */
        public readonly cache: DonorCache,
        private readonly sharingSettings: () => SharingSettings,
        private readonly requestLog?: RequestLog
    ) {}

    public chat(messages: readonly PlainMessage[], settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        const functions = settings.tools?.functions;
        const fitted =
            io.contextOverflow === "drop_oldest"
                ? fitConversation(
                      messages,
                      this.runtime.contextSize,
                      (kept) => this.runtime.prompts.chat(kept, functions).tokens.length,
                      (tokens) => fitsContext(tokens, settings, this.runtime.contextSize)
                  )
                : {messages: [...messages], dropped: 0};
        const texts = fitted.messages.map(messageText);
        checkTextLength(
            texts.reduce((sum, text) => sum + text.length, 0),
            this.runtime.contextSize
        );
        const prompt = this.runtime.prompts.chat(fitted.messages, functions);
        const text = texts.join("\n");
        return this.counted(io.signal, async () => {
            const result = await this.serve(prompt.tokens, text, [...prompt.stops, ...settings.stops], settings, io);
            if (fitted.dropped > 0) result.kvshare.dropped_messages = fitted.dropped;
            return result;
        });
    }

    /** A text completion; `tokens`: the prompt given as token ids (then `text` is their text), taken as they are. */
    public complete(text: string, settings: GenerationSettings, io: GenerationIo, tokens?: readonly Token[]): Promise<GenerationResult> {
        checkTextLength(text.length, this.runtime.contextSize);
        const promptTokens = tokens ?? this.runtime.prompts.completion(text).tokens;
        return this.counted(io.signal, () => this.serve(promptTokens, text, settings.stops, settings, io));
    }

    /** Requests anywhere between arrival and answer (embedding, queue, generation). */
    public get inFlight(): number {
        return this.running;
    }

    /**
     * Calls `listener` as each request arrives, before it is queued: the idle quality monitor stops
     * at once so that nobody waits for it. Returns the unsubscribe function.
     */
    public onArrival(listener: () => void): () => void {
        this.arrivalListeners.add(listener);
        return () => this.arrivalListeners.delete(listener);
    }

    /** Resolves when no donor write is pending (tests, shutdown). */
    public async settled(): Promise<void> {
        while (this.background.size > 0) await Promise.allSettled([...this.background]);
    }

    /** Finishes the donor writes, then frees the model. */
    public async dispose(): Promise<void> {
        await this.settled();
        await this.runtime.dispose();
    }

    private async counted(clientSignal: AbortSignal, work: () => Promise<GenerationResult>): Promise<GenerationResult> {
        this.running++;
        try {
            const result = await work();
            // Cut short because the key was revoked or the server is stopping: the client is told so, not handed a short answer.
            if (clientSignal.aborted && toldToClient(clientSignal.reason)) throw clientSignal.reason;
            return result;
        } catch (error) {
            // Whatever broke once the model was being let go (a context disposed mid-prefill, say) is
            // the switch's doing: the client retries on the new model.
            const retired = this.runtime.retirementSignal;
            if (retired.aborted && !clientSignal.aborted) throw retired.reason;
            throw error;
        } finally {
            this.running--;
        }
    }

    private async serve(tokens: readonly Token[], text: string, stops: string[], settings: GenerationSettings, io: GenerationIo): Promise<GenerationResult> {
        const sharing = this.sharingSettings();
        const scope = scopeFor(io.user, sharing, io.group);
        for (const listener of this.arrivalListeners) listener();
        const signal = AbortSignal.any([io.signal, this.runtime.retirementSignal]);
        const grammar = settings.format == null ? undefined : await this.runtime.grammars.grammarFor(settings.format);
        const job: GenerationJob = {
            promptTokens: tokens,
            maxTokens: settings.maxTokens,
            maxTokensExplicit: settings.maxTokensExplicit,
            // node-llama-cpp's JSON grammars end in four newlines (then any more) and leave stopping there to the caller.
            stops: grammar == null ? stops : [...stops, jsonGrammarEnd],
            sampling: settings.sampling,
            ...(grammar == null ? {} : {grammar}),
            signal,
            onText: io.onText,
            ...(settings.logprobs == null ? {} : {logprobs: settings.logprobs}),
            ...(settings.promptLogprobs === true ? {promptLogprobs: true, onPromptLogprobs: io.onPromptLogprobs} : {}),
            ...(settings.tools == null ? {} : {specialText: true}),
            arrivedAt: io.arrivedAt
        };
        // Refuse what cannot fit before anything else.
        checkFits(tokens.length, job, this.runtime.contextSize);
        const prompt: SharedPrompt = {
            tokens,
            text,
            scope,
            ...(io.user == null ? {} : {owner: io.user}),
            epoch: this.cache.epoch,
            detail: io.detail ?? false,
            revealDonor: io.revealDonor ?? false,
            recomputePolicy: io.recompute?.policy,
            recomputeBudget: io.recompute?.budget,
            store: io.recompute?.store,
            ...(settings.promptLogprobs === true ? {computeAll: true} : {}),
            ...(rechecks(job) ? {guardable: true} : {})
        };

        // 1. admit: embed, retrieve, align. A prompt scored whole reuses nothing: nothing to look for, nor to
        // rank it by in the queue (its donor would say it reuses what it does not).
        let admission = prompt.computeAll === true ? this.sharing.notAdmitted("its log-probabilities were asked for") : await this.sharing.admit(prompt);
        // 2. coalesce. Decided with no await since admission, so that of a burst arriving at once the
        // first prompt is registered as being prefilled before the next one looks.
        const leader = this.coalescingLeader(prompt, admission);
        let coalesceMs = 0;
        if (leader != null) {
            const waitStart = performance.now();
            await this.inFlightPrompts.waitFor(leader, this.coalesceWaitMs(prompt), signal);
            admission = this.sharing.refresh(prompt, admission);
            coalesceMs = performance.now() - waitStart;
        }
        // A prompt that will be mostly prefilled: others like it arriving meanwhile may wait for its KV.
        const own =
            this.sharing.kvEditing &&
            sharing.enabled &&
            prompt.store !== false &&
            prompt.computeAll !== true &&
            admission.skipped == null &&
            admission.expectedReuse < coalesceMinShare
                ? this.inFlightPrompts.add(scope, tokens)
                : undefined;
        let result: GenerationResult;
        let prepared: PreparedSequence;
        let store: (() => Promise<CacheEntry | undefined>) | undefined;
        try {
            // 3. schedule: the highest expected reuse first, with aging.
            const lease = await this.runtime.pool.acquire(
                {
                    promptTokens: tokens,
                    scope,
                    expectedReuse: admission.expectedReuse,
                    expectedSavedMs: this.expectedSavedMs(tokens.length, admission),
                    donorId: admission.best?.entry.id
                },
                signal
            );
            try {
                // Another scope's KV goes before anything else can happen on this sequence, failures included.
                if (!lease.sameScope) await lease.sequence.clearHistory();
                // Donors stored while this request waited (similar prompts served meanwhile) are candidates too.
                admission = this.sharing.refresh(prompt, admission);
                // 4. prepare KV, 5. generate.
                const preparing = performance.now();
                prepared = await this.sharing.prepare(lease.sequence, prompt, admission);
                let storedEarly: Promise<CacheEntry | undefined> | undefined;
                const prefilled =
                    own == null
                        ? undefined
                        : async () => {
                              storedEarly = (await this.offerEarly(own, lease.sequence, prompt, admission)).stored;
                          };
                // dhd-decode, dhd-guard: a few more kept tokens recomputed in place with each generated token while
                // no request waits for a sequence or for a prompt's KV (under load that compute goes to the waiting
                // requests; one waiting for this prompt's gets it at the first token), and the guard's recompute only
                // while no other answer is being decoded either. A stop also ends the guard's between two batches.
                const decodeStage = this.sharing.decodeStage(lease.sequence, prepared);
                const othersWaiting = () => this.runtime.pool.queuedCount > 0 || this.inFlightPrompts.waiting > 0 || signal.aborted;
                // (this request holds one of the busy sequences)
                const othersServed = () => this.runtime.pool.busyCount > 1;
                const hooks: DecodeHooks = {
                    ...(prefilled == null ? {} : {onPrefilled: prefilled}),
                    ...decodeStage?.hooks(othersWaiting, othersServed)
                };
                let decoded;
                let intact = true;
                const decoding = performance.now();
                try {
                    decoded = await decode(this.runtime.model, lease.sequence, prepared.pendingTokens, job, hooks);
                } finally {
                    intact = (await decodeStage?.finish()) ?? true;
                    // A prompt asked not to be kept leaves no KV behind either; a sequence that lost cells holds no prompt.
                    // Nor one purged or cleared while it was served: its KV may not stay for the next request's prefix.
                    if (!intact || prompt.store === false || !this.cache.keeps(prompt)) await lease.sequence.clearHistory();
                }
                result = {
                    text: decoded.text,
                    finishReason: decoded.finishReason,
                    promptTokens: tokens.length,
                    completionTokens: decoded.completionTokens,
                    cachedTokens: prepared.cachedTokens,
                    timings: {
                        queueMs: coalesceMs + lease.queueMs,
                        promptMs: decoded.firstTokenAt - preparing,
                        predictedMs: decoded.endedAt - decoded.firstTokenAt,
                        ttftMs: decoded.firstTokenAt - io.arrivedAt
                    },
                    kvshare: prepared.record,
                    ...(decoded.logprobs == null ? {} : {logprobs: decoded.logprobs}),
                    ...(decoded.promptLogprobs == null ? {} : {promptLogprobs: decoded.promptLogprobs})
                };
                // Scoring reads every token's distribution out: its prompt time is not a prefill's, for the cost model.
                if (prompt.computeAll !== true) {
                    // One pending token (the prompt's last, on either path): its decode is one pass, timed apart; not where
                    // sampling it did more than a plain pick (read the distribution out, ran a grammar).
                    const plainPass = prepared.pendingTokens.length === 1 && decoded.pendingDecodedAt > 0 && job.logprobs == null && job.grammar == null;
                    const lastTokenMs = plainPass ? decoded.pendingDecodedAt - decoding : undefined;
                    this.sharing.observeServed({
                        record: result.kvshare,
                        promptMs: result.timings.promptMs,
                        ...(lastTokenMs == null ? {} : {lastTokenMs}),
                        ...(prepared.guard == null ? {} : {guard: prepared.guard})
                    });
                }
                // 6. capture: copy the served KV in memory before giving the sequence back (nothing
                // when it was stored at the end of its prefill already, unless the decode stage fixed
                // some of its KV since: then this better copy takes that entry's place).
                const supersede = (prepared.record.decode_recompute?.tokens ?? 0) > 0 ? storedEarly : undefined;
                store = intact ? await this.sharing.capture(lease.sequence, prompt, admission, supersede) : undefined;
            } finally {
                lease.release();
            }
        } finally {
            if (own != null) this.inFlightPrompts.remove(own);
        }
        // Cut short because the model was switched: the client retries on the new model.
        if (this.runtime.retirementSignal.aborted && !io.signal.aborted) throw this.runtime.retirementSignal.reason;
        // ... and store it as a donor (indexed at once from memory, the file written in the background).
        if (store != null) this.storeInBackground(store);
        // The wait for a sequence alone: a wait for another's prefill (coalescing) is what reuse costs, not queueing.
        this.requestLog?.add(servedEntry({user: io.user, prompt, sharing, admission, prepared, result, sequenceWaitMs: result.timings.queueMs - coalesceMs}));
        // The stages' times are the owner's (the request log has them): the search's grows with every scope's
        // cached prompts, which an issued key is not to count.
        if (io.revealDonor !== true) delete result.kvshare.stages;
        return result;
    }

    /**
     * A prompt like this one being prefilled right now, which would let it reuse most of its tokens:
     * then it waits (up to a cap) for that KV rather than prefill the same text alongside.
     */
    private coalescingLeader(prompt: SharedPrompt, admission: Admission): InFlightPrompt | undefined {
        const settings = effectiveSharing(this.sharingSettings(), prompt.scope);
        // No donor can pay off for this prompt now (the cost gate skipped the search): nor can a wait for one.
        // A prompt computed whole (scored) reuses nothing, so it has nothing to wait for.
        if (prompt.computeAll === true || !settings.enabled || !this.sharing.kvEditing || admission.skipped != null) return undefined;
        // Where a prefill is nearly free (a tiny model, a short prompt), waiting for another's costs more
        // than it saves: the cost gate's measured rate decides.
        const ownPrefillMs = this.sharing.predictPrefillMs(prompt.tokens.length);
        if (settings.costGate && ownPrefillMs != null && ownPrefillMs < coalesceMinPrefillMs) return undefined;
        const current = admission.best?.alignment.reusedTokens ?? 0;
        const minReused = Math.max(current + settings.minGainTokens, Math.ceil(coalesceMinShare * prompt.tokens.length));
        return this.inFlightPrompts.bestFor(prompt.scope, prompt.tokens, minReused, settings.minRunLength);
    }

    /** Prefill milliseconds the admitted reuse is predicted to save (the fixed cost of a pass is paid either way). */
    private expectedSavedMs(promptTokens: number, admission: Admission): number | undefined {
        const all = this.sharing.predictPrefillMs(promptTokens);
        const rest = this.sharing.predictPrefillMs(promptTokens - Math.round(admission.expectedReuse * promptTokens));
        return all == null || rest == null ? undefined : Math.max(0, all - rest);
    }

    /** Twice the prompt's own predicted prefill, within bounds (the upper one until the rate is measured). */
    private coalesceWaitMs(prompt: SharedPrompt): number {
        const ownPrefillMs = this.sharing.predictPrefillMs(prompt.tokens.length);
        if (ownPrefillMs == null) return coalesceWaitBoundsMs.max;
        return Math.min(coalesceWaitBoundsMs.max, Math.max(coalesceWaitBoundsMs.min, 2 * ownPrefillMs));
    }

    /**
     * At the end of a prefill others wait for: its KV becomes a donor now, not after the answer. Gives the
     * store under way (resolving to its entry once written), if any: in a wrapper, as an async function
     * would resolve a returned promise.
     */
    private async offerEarly(
        own: InFlightPrompt,
        sequence: LlamaContextSequence,
        prompt: SharedPrompt,
        admission: Admission
    ): Promise<{stored?: Promise<CacheEntry | undefined>}> {
        let stored: Promise<CacheEntry | undefined> | undefined;
        if (own.waiters > 0) {
            const store = await this.sharing.capture(sequence, prompt, admission);
            // Indexed synchronously by `store`, before the waiters are woken.
            if (store != null) stored = this.storeInBackground(store);
        }
        own.markReady();
        return stored == null ? {} : {stored};
    }

    /** Runs a donor store in the background (`settled` waits for it); returns it, resolving to its entry. */
    private storeInBackground(store: () => Promise<CacheEntry | undefined>): Promise<CacheEntry | undefined> {
        const writing = store();
        this.background.add(writing);
        void writing.finally(() => this.background.delete(writing));
        return writing;
    }
}
