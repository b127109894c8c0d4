import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {effectiveSharing} from "../../../shared/settings.js";
import type {Logger} from "../../common/log.js";
import type {SharingSettings} from "../../config/settings.js";
import {captureForSnapshot, commonPrefixLength, reuseKv, type KvReuseReport, type LayerProbe} from "../../kv/index.js";
import {alignTokens} from "../align/index.js";
import type {DonorCache} from "../cache/DonorCache.js";
import type {CacheEntry} from "../store/index.js";
import type {Embedder} from "../embed/index.js";
import {budgetLadder, CostGate, deviatingKept, isCommonPrefix, isMeasuredPolicy, selectRecompute, summariseReuse, type DonorCharge} from "../policy/index.js";
import {searchDonors} from "./donorSearch.js";
import {guardFor, RecomputeStages} from "./RecomputeStages.js";
import {floorRecord, semanticRecord} from "./shareRecords.js";
import {addTimings, noStages} from "./stages.js";
import {sharedScope} from "./scopes.js";
import type {Admission, Candidate, DecodeStage, PreparedSequence, PrepareTrace, ServedTimings, SharedPrompt, Stages} from "./types.js";

export interface SharingEngineDeps {
    context: LlamaContext;
    /** Whether donor KV can be edited (the patched binary, a model that allows shifts); otherwise exact prefix reuse only. */
    kvEditing: boolean;
    /** Why KV editing is unavailable, when it is. */
    editingUnavailableReason?: string;
    cache: DonorCache;
    embedder: Embedder;
    settings(): SharingSettings;
    /** Detokenizes `tokens` as they read after `lastTokens` (SentencePiece spacing depends on it). */
    detokenize(tokens: readonly Token[], lastTokens: readonly Token[]): string;
    /**
     * Computes the target's first layers in a scratch sequence (the measured recompute policies); absent
     * where no probe can run (stock binary).
     */
    probe?(tokens: readonly Token[]): Promise<LayerProbe>;
    /** Whether requests are waiting for a sequence now (the cost gate tries no unmeasured small saving then). */
    busy?(): boolean;
    /** Whether any request is being answered now (a `dhd-guard` request's guard would not run: it is charged nothing). */
    serving?(): boolean;
    /** The cost gate, where it should start from rates measured before (else one that has measured nothing yet). */
    costGate?: CostGate;
    log: Logger;
}

/**
 * The KVShare steps around generation, each returning its result: `admit` (embed → retrieve → align)
 * before a sequence is scheduled, `prepare` (edit the best donor's KV into the sequence, or fall back
 * to the floor) before decoding, and `capture` (the served KV becomes a donor) after it. Exact prefix
 * reuse of the sequence's own KV is the floor, full prefill the fallback.
 */
export class SharingEngine {
    /** Decides from measured rates whether a donor beats the prefix floor. */
    private readonly gate: CostGate;

    /** The measured policies' probe before an edit and decode stage after it. */
    private readonly recompute: RecomputeStages;

    public constructor(private readonly deps: SharingEngineDeps) {
        this.gate = deps.costGate ?? new CostGate();
        this.recompute = new RecomputeStages({
            context: deps.context,
            ...(deps.probe == null ? {} : {probe: deps.probe}),
            log: deps.log,
            observeProbe: (tokens, ms) => this.gate.observeProbe(tokens, ms)
        });
    }

    public get kvEditing(): boolean {
        return this.deps.kvEditing;
    }

    /**
     * Admission: embeds the prompt, retrieves candidates of its scope and picks the donor that lets it
     * reuse the most tokens. Cheap (milliseconds); the scheduler orders waiting requests by the result.
     */
    public async admit(prompt: SharedPrompt): Promise<Admission> {
        const settings = effectiveSharing(this.deps.settings(), prompt.scope);
        const stages = noStages();
        const cacheVersion = this.deps.cache.version;
        if (!settings.enabled) return {embedding: null, cacheVersion, stages, foundCount: 0, expectedReuse: 0, candidates: []};
        // While requests wait, no search for a donor that could not pay off anyway: on a tiny model (or
        // for a short prompt) even a perfect one is predicted slower than the floor, and the search's
        // milliseconds on the main thread would delay everyone's next batch.
        if (settings.costGate && this.deps.busy?.() === true && !this.gate.donorsCanPay(prompt.tokens.length, this.gateCharge(prompt, settings)))
            return {
                embedding: null,
                cacheVersion,
                stages,
                foundCount: 0,
                expectedReuse: 0,
                candidates: [],
                skipped: "cost gate: no donor can beat the prefix floor for a prompt this short now; none looked for"
            };

        const t = performance.now();
        const embedding = (await this.deps.embedder.embed([prompt.text]))[0] ?? null;
        stages.embed_ms = performance.now() - t;
        return searchDonors(this.deps.cache, prompt, embedding, settings, stages);
    }

    /** An admission that looked for nothing (`why` says so): the prompt is computed whole. */
    public notAdmitted(why: string): Admission {
        return {embedding: null, cacheVersion: this.deps.cache.version, stages: noStages(), foundCount: 0, expectedReuse: 0, candidates: [], skipped: why};
    }

    /**
     * Admission again, with the prompt's embedding, when donors were stored or removed since it was
     * admitted: a request that waited for a sequence while similar ones were served (a class sending
     * the same exercise at once) then finds their KV. Otherwise the admission as it was.
     */
    public refresh(prompt: SharedPrompt, admission: Admission): Admission {
        if (admission.cacheVersion === this.deps.cache.version || admission.embedding == null) return admission;
        const settings = effectiveSharing(this.deps.settings(), prompt.scope);
        if (!settings.enabled) return admission;
        return searchDonors(this.deps.cache, prompt, admission.embedding, settings, {...noStages(), embed_ms: admission.stages.embed_ms});
    }

    /** What the cost gate charges a donor of this prompt for its recompute: the request's own choice, else the scope's. */
    private gateCharge(prompt: Pick<SharedPrompt, "recomputePolicy" | "recomputeBudget" | "guardable">, settings: SharingSettings): DonorCharge {
        const policy = prompt.recomputePolicy ?? settings.recomputePolicy;
        const recomputeBudget = policy === "none" ? 0 : (prompt.recomputeBudget ?? settings.recomputeBudget);
        // The guard runs only on a machine answering nothing else (see RecomputeStages.decodeStage).
        const guards = policy === "dhd-guard" && prompt.guardable === true && this.deps.serving?.() !== true;
        return {recomputeBudget, probes: isMeasuredPolicy(policy) && recomputeBudget > 0, guards};
    }

    /**
     * Admission for a quality check's replay: the logged request's donor, looked up again (undefined
     * when it was evicted since), instead of a fresh retrieval.
     */
    public admitReplay(prompt: SharedPrompt, donorId: number, similarity: number): Admission | undefined {
        const entry = this.deps.cache.get(donorId);
        if (entry == null || entry.modelFingerprint !== this.deps.cache.modelFingerprint) return undefined;
        if (entry.scope !== prompt.scope && entry.scope !== sharedScope) return undefined;
        const settings = effectiveSharing(this.deps.settings(), prompt.scope);
        const alignment = alignTokens(entry.tokens, prompt.tokens, {minRunLength: settings.minRunLength});
        const best: Candidate = {entry, similarity, exact: false, always: false, alignment};
        const expectedReuse = prompt.tokens.length === 0 ? 0 : alignment.reusedTokens / prompt.tokens.length;
        return {embedding: null, cacheVersion: this.deps.cache.version, stages: noStages(), best, foundCount: 1, expectedReuse, candidates: []};
    }

    /**
     * Makes `sequence` hold the prompt's KV, reusing the admitted donor when it beats the floor. The
     * sequence's current KV must belong to the prompt's scope (the pipeline clears it otherwise), so
     * no one's prefix is ever reused across scopes.
     */
    public async prepare(sequence: LlamaContextSequence, prompt: SharedPrompt, admission: Admission): Promise<PreparedSequence> {
        const scoped = effectiveSharing(this.deps.settings(), prompt.scope);
        const settings = prompt.recomputeBudget == null ? scoped : {...scoped, recomputeBudget: prompt.recomputeBudget};
        const policy = prompt.recomputePolicy ?? settings.recomputePolicy;
        const stages = {...admission.stages};
        const best = admission.best;
        // With prefix reuse off the floor keeps nothing of the sequence's own KV: a donor need only beat nothing.
        const ownPrefix = prompt.computeAll === true || !this.deps.settings().prefixReuse ? 0 : commonPrefixLength(sequence.contextTokens, prompt.tokens);
        const trace: PrepareTrace = {
            prefixFloor: ownPrefix,
            similarityThreshold: settings.similarityThreshold,
            // `none` recomputes no kept token whatever the budget: its checks belong at budget 0.
            recomputeBudget: policy === "none" ? 0 : settings.recomputeBudget,
            recomputePolicy: policy,
            minGainTokens: settings.minGainTokens
        };
        const floor = (note: string) => this.floor(sequence, prompt, stages, trace, note);
        if (prompt.computeAll === true) return floor("the prompt's log-probabilities were asked for: every prompt token computed");
        if (!settings.enabled) return floor("sharing is off");
        if (!this.deps.kvEditing) return floor(this.deps.editingUnavailableReason ?? "KV editing unavailable: exact prefix reuse only");
        // A prompt like this one may never have been kept: the cost gate keeps prompts whose reuse cannot save time
        // here out of the cache. Said where no donor served, so that the admin does not lower the threshold for it.
        const keptOut = (): string =>
            settings.costGate && this.gate.keepsOut(prompt.tokens.length, this.gateCharge(prompt, settings))
                ? "; the cost gate keeps prompts this short out of the cache on this machine (reusing one is predicted no faster than computing it)"
                : "";
        if (best == null)
            return floor(
                admission.skipped ??
                    (admission.foundCount > 0
                        ? "no donor shares enough tokens"
                        : // Told apart for the admin: a threshold to lower, or simply nothing cached in this scope to compare with.
                          (admission.candidates.length > 0
                              ? "no cached prompt above the similarity threshold"
                              : "nothing cached in this scope is like it (no cached prompt found to compare with)") + keptOut())
            );
        if (best.alignment.reusedTokens < ownPrefix + settings.minGainTokens)
            return floor(
                ownPrefix >= best.alignment.reusedTokens
                    ? "the sequence's own prefix reuses as much"
                    : `the best donor would reuse ${best.alignment.reusedTokens} tokens, too few beyond the sequence's own prefix (${ownPrefix}) to be worth an edit (minimum gain ${settings.minGainTokens})${keptOut()}`
            );
        const {cache} = this.deps;
        // A quality replay must measure the donor path itself, whatever it would cost.
        const verdict =
            !settings.costGate || prompt.replay === true
                ? undefined
                : this.gate.decide({
                      promptTokens: prompt.tokens.length,
                      ownPrefix,
                      reusedTokens: best.alignment.reusedTokens,
                      deviatingTokens: deviatingKept(best.alignment.runs),
                      // All that is kept a common prefix: no probe runs and nothing of it is recomputed.
                      ...(best.alignment.runs.every(isCommonPrefix) ? {recomputeBudget: 0, probes: false} : this.gateCharge(prompt, settings)),
                      donorTokens: best.entry.tokens.length,
                      donorBytes: best.entry.bytes,
                      inMemory: cache.inMemory(best.entry),
                      busy: this.deps.busy?.() ?? false
                  });
        // The predictions depend on the shared memory tier: only the owner sees them.
        if (verdict?.cold === true) return floor("cost gate: too few tokens saved to try a donor before its costs are measured");
        if (verdict != null && !verdict.useDonor)
            return floor(
                !prompt.revealDonor
                    ? "cost gate: the prefix floor is predicted to be faster than the donor"
                    : `cost gate: the donor would take ~${Math.round(verdict.donorMs)} ms, the prefix floor ~${Math.round(verdict.floorMs)} ms`
            );

        const t = performance.now();
        const donor = await cache.load(best.entry);
        if ("refused" in donor) return floor(donor.refused);
        const readMs = performance.now() - t;

        const measured = await this.recompute.measure(policy, settings.recomputeBudget, prompt, best, donor.snapshot, stages);
        const recompute = selectRecompute(best.alignment.runs, prompt.tokens.length, {
            budgetFraction: settings.recomputeBudget,
            policy,
            ...(measured.scores == null ? {} : {scores: measured.scores})
        });
        // Edited in the request's own sequence: edits of several requests proceed side by side, and
        // their computed tokens share llama.cpp's batches with the other sequences' work.
        const report = await reuseKv({
            context: this.deps.context,
            targetSequence: sequence,
            donor: {snapshot: donor.snapshot},
            targetTokens: prompt.tokens,
            plan: {keptRuns: best.alignment.runs, computePositions: recompute.ranges}
        });
        addTimings(stages, report, readMs);
        if (report.mode !== "semantic") return this.toPrepared(report, prompt, stages, trace, report.reason);
        this.gate.observeEdit({
            donorTokens: best.entry.tokens.length,
            readBytes: donor.tier === "disk" ? best.entry.bytes : 0,
            readMs: donor.tier === "disk" ? readMs : 0,
            restoreMs: report.timings.restoreMs,
            editMs: report.timings.editMs,
            computedTokens: prompt.tokens.length - report.reusedTokens,
            computeMs: report.timings.computeMs
        });

        // A quality check's replay is not a use: it must not keep a donor from eviction.
        if (prompt.replay !== true) cache.touch(best.entry.id);
        trace.donorId = best.entry.id;
        // What each budget of the ladder would have left reused: the same policy, on the same scores.
        const scores = measured.scores == null ? {} : {scores: measured.scores};
        trace.budgetReuse = budgetLadder.map(
            (budgetFraction) => selectRecompute(best.alignment.runs, prompt.tokens.length, {budgetFraction, policy, ...scores}).reusedTokens
        );
        const summary = summariseReuse(best.alignment.runs, prompt.tokens.length, recompute.ranges);
        const record = semanticRecord({
            prompt,
            best,
            tier: donor.tier,
            publicDonorId: cache.publicDonorId(best.entry.id),
            summary,
            stages,
            policy: recompute.policy,
            ...(measured.note == null ? {} : {note: measured.note}),
            pieces: (tokens) => this.pieces(tokens)
        });
        const decodeQueue = recompute.decodeQueue.map((position) => ({position, token: prompt.tokens[position] as Token}));
        return {
            pendingTokens: report.pendingTokens,
            cachedTokens: summary.counts.reused,
            record,
            trace,
            ...(decodeQueue.length > 0 ? {decodeQueue} : {}),
            ...(recompute.policy === "dhd-guard" && prompt.guardable === true ? guardFor(recompute, prompt.tokens, report.pendingTokens.length) : {})
        };
    }

    /** See {@link RecomputeStages.decodeStage}. */
    public decodeStage(sequence: LlamaContextSequence, prepared: PreparedSequence): DecodeStage | undefined {
        return this.recompute.decodeStage(sequence, prepared);
    }

    /** Predicted milliseconds to prefill a prompt of `tokens` tokens, once the rate has been measured here. */
    public predictPrefillMs(tokens: number): number | undefined {
        return this.gate.prefillMs(tokens);
    }

    /**
     * Feeds the cost gate what a served prompt cost, as only the pipeline times it: for one served from the floor its
     * prefill (which ran in the sequence's own evaluation); on either path the decode of the prompt's last token; for a
     * donor's answer, what its guard did at the first token.
     */
    public observeServed(served: ServedTimings): void {
        const {record, promptMs, lastTokenMs, guard} = served;
        if (lastTokenMs != null) this.gate.observeLastToken(lastTokenMs);
        if (record.mode !== "semantic") this.gate.observeFloor(record.computed_tokens, promptMs);
        else if (guard?.checkedFirst === true) this.gate.observeGuard(record.decode_recompute?.flushed_at === 0, guard.readFirst === true);
    }

    /**
     * Captures the sequence's KV (prompt and answer) in memory so the sequence can be given back at
     * once; the returned function stores it as a donor for later prompts of the same scope. Returns
     * undefined when there is nothing worth caching.
     *
     * @param supersede the store of this prompt's KV made earlier (at the end of its prefill, for requests
     *   waiting on it), when the KV is better now (the decode stage fixed some of it): this one takes the
     *   place of that entry once both are written
     */
    public async capture(
        sequence: LlamaContextSequence,
        prompt: SharedPrompt,
        admission: Admission,
        supersede?: Promise<CacheEntry | undefined>
    ): Promise<(() => Promise<CacheEntry | undefined>) | undefined> {
        const settings = this.deps.settings();
        if (!settings.enabled || prompt.store === false) return undefined;
        const tokens = sequence.contextTokens;
        if (tokens.length < 2 * settings.minRunLength) return undefined;
        // Where even the best use of this KV would be slower than a prefill (a tiny model, a short
        // prompt on a large one), the cost gate's measured rates say so and (but for an occasional
        // one) it is not cached.
        if (
            settings.costGate &&
            !this.gate.worthCaching(tokens.length, this.gateCharge({}, effectiveSharing(settings, prompt.scope)), this.deps.busy?.() ?? false)
        )
            return undefined;
        // The same prompt cached before in this scope: its KV is as good a donor as this one (unless superseded).
        if (supersede == null && this.deps.cache.findExact([prompt.scope], prompt.tokens) != null) return undefined;
        let captured: Awaited<ReturnType<typeof captureForSnapshot>>;
        try {
            const t = performance.now();
            captured = await captureForSnapshot(sequence);
            this.gate.observeCapture(tokens.length, performance.now() - t);
        } catch (error) {
            this.deps.log.warn(`could not capture the prompt's KV: ${(error as Error).message}`);
            return undefined;
        }
        return async () => {
            // The earlier entry itself (not whatever holds these tokens now), once its own write is done.
            const earlier = supersede == null ? undefined : await supersede;
            return this.deps.cache.add(
                captured,
                {
                    tokens: prompt.tokens,
                    text: prompt.text,
                    scope: prompt.scope,
                    embedding: admission.embedding,
                    ...(prompt.owner == null ? {} : {owner: prompt.owner}),
                    ...(prompt.epoch == null ? {} : {epoch: prompt.epoch})
                },
                earlier?.id
            );
        };
    }

    private async floor(sequence: LlamaContextSequence, prompt: SharedPrompt, stages: Stages, trace: PrepareTrace, note: string): Promise<PreparedSequence> {
        if (prompt.computeAll === true) {
            await sequence.clearHistory();
            // Decoding computes the whole prompt, reading each token's distribution on the way.
            const whole: KvReuseReport = {
                mode: "none",
                reason: note,
                reusedTokens: 0,
                computedTokens: 0,
                pendingTokens: [...prompt.tokens],
                timings: {restoreMs: 0, editMs: 0, computeMs: 0, totalMs: 0}
            };
            return this.toPrepared(whole, prompt, stages, trace, note);
        }
        if (!this.deps.settings().prefixReuse) {
            await sequence.clearHistory();
            note = `${note}; prefix reuse is off`;
        }
        const report = await reuseKv({context: this.deps.context, targetSequence: sequence, targetTokens: prompt.tokens});
        addTimings(stages, report, 0);
        return this.toPrepared(report, prompt, stages, trace, note);
    }

    private toPrepared(report: KvReuseReport, prompt: SharedPrompt, stages: Stages, trace: PrepareTrace, note: string): PreparedSequence {
        return {pendingTokens: report.pendingTokens, cachedTokens: report.reusedTokens, trace, record: floorRecord(report, prompt, stages, note)};
    }

    /** Each token's text as it reads in place (with its leading space), so pieces join to the prompt. */
    private pieces(tokens: readonly Token[]): string[] {
        return tokens.map((token, i) => this.deps.detokenize([token], tokens.slice(Math.max(0, i - 4), i)));
    }
}
