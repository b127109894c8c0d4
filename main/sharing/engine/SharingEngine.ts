import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import type {KvShareRecord} from "../../../shared/openai.js";
import type {Logger} from "../../app/log.js";
import type {SharingSettings} from "../../config/settings.js";
import {buildSnapshotHeader, captureForSnapshot, commonPrefixLength, readSnapshot, reuseKv, SnapshotRefusedError, writeSnapshot, type CapturedState, type KvReuseReport} from "../../kv/index.js";
import {alignTokens, type Alignment} from "../align/index.js";
import {dot, type Embedder} from "../embed/index.js";
import {budgetLadder, CostGate, selectRecompute, summariseReuse} from "../policy/index.js";
import {effectiveSharing} from "../../../shared/settings.js";
import {alwaysEligible, candidateFrontier, type CandidatePoint} from "./candidates.js";
import {HotDonors} from "./HotDonors.js";
import {sharedScope} from "./scopes.js";
import {hashTokens, SNAPSHOTS_SUBDIR, type CacheEntry, type CacheStore} from "../store/index.js";
import type {PreparedSequence, SharedPrompt} from "./types.js";

export interface SharingEngineDeps {
    context: LlamaContext;
    /** Working sequence for KV editing; absent with the stock binary (then: exact prefix reuse only). */
    scratch: LlamaContextSequence | undefined;
    /** Why KV editing is unavailable, when it is. */
    editingUnavailableReason?: string;
    store: CacheStore;
    embedder: Embedder;
    modelFingerprint: string;
    cacheDir: string;
    settings(): SharingSettings;
    /** Detokenizes `tokens` as they read after `lastTokens` (SentencePiece spacing depends on it). */
    detokenize(tokens: readonly Token[], lastTokens: readonly Token[]): string;
    /** The token forms a marked shared prefix takes in prompts (as a chat system prompt, as raw text). */
    sharedPrefixForms(text: string): Array<readonly Token[]>;
    log: Logger;
}

/** Admission's view of a prompt: its best donor and how much it should reuse. */
export interface Assessment {
    stages: Stages;
    best?: Candidate;
    foundCount: number;
    /** Share (0..1) of the prompt's tokens the best donor covers. */
    expectedReuse: number;
    /**
     * Every retrieved candidate, eligible or not under the current threshold, as the what-if curves
     * need them (see {@link candidateFrontier}).
     */
    candidates: CandidatePoint[];
}

interface Found {
    entry: CacheEntry;
    similarity: number;
    exact: boolean;
    /** Eligible whatever the threshold: an exact hit or an admin-marked shared prefix. */
    always: boolean;
}

interface Candidate extends Found {
    alignment: Alignment;
}

/** Re-ranks candidates by how many prompt tokens they let us reuse (KVShare v2), not by similarity. */
function bestCandidate(aligned: readonly Candidate[]): Candidate | undefined {
    let best: Candidate | undefined;
    for (const candidate of aligned) {
        if (candidate.alignment.reusedTokens === 0) continue;
        if (best == null || candidate.alignment.reusedTokens > best.alignment.reusedTokens) best = candidate;
    }
    return best;
}

type Stages = NonNullable<KvShareRecord["stages"]>;

/**
 * The KVShare request path around generation: embed → retrieve → align → edit KV before decoding
 * (`prepare`), and snapshot + index the served prompt after it (`remember`). Exact prefix reuse of the
 * sequence's own KV is the floor, full prefill the fallback.
 */
export class SharingEngine {
    private scratchQueue: Promise<unknown> = Promise.resolve();
    /** Scopes purged while this engine runs: nothing is indexed into them again. */
    private readonly purgedScopes = new Set<string>();
    /** Edits queued for or holding the scratch sequence (the cost gate's expected wait). */
    private editsInFlight = 0;
    /** Decides from measured rates whether a donor beats the prefix floor. */
    private readonly gate = new CostGate();
    /** Keys the opaque donor ids shown to issued keys. */
    private readonly idSecret = crypto.randomBytes(32);
    /** The admin-marked shared prefixes' entries and text vectors (see {@link refreshSharedPrefixes}). */
    private sharedPrefixEntries: Array<{entry: CacheEntry; vector: Float32Array}> = [];
    /** Hot donors kept in memory (the cache's memory tier). */
    public readonly hot: HotDonors;

    public constructor(private readonly deps: SharingEngineDeps) {
        this.hot = new HotDonors(() => deps.settings().maxMemoryBytes);
    }

    public get kvEditing(): boolean {
        return this.deps.scratch != null;
    }

    /**
     * Admission: embeds the prompt, retrieves candidates of its scope and picks the donor that lets it
     * reuse the most tokens. Cheap (milliseconds); the scheduler orders waiting requests by the result.
     */
    public async assess(prompt: SharedPrompt): Promise<Assessment> {
        const settings = effectiveSharing(this.deps.settings(), prompt.scope);
        const stages: Stages = {embed_ms: 0, retrieve_ms: 0, align_ms: 0, restore_ms: 0, edit_ms: 0, compute_ms: 0};
        if (!settings.enabled) return (prompt.assessment = {stages, foundCount: 0, expectedReuse: 0, candidates: []});

        let t = performance.now();
        prompt.embedding = (await this.deps.embedder.embed([prompt.text]))[0] ?? null;
        stages.embed_ms = performance.now() - t;

        t = performance.now();
        const found = this.retrieve(prompt, settings);
        stages.retrieve_ms = performance.now() - t;

        t = performance.now();
        // Candidates below the threshold are aligned too (topK of them at most): the what-if curves
        // show what another threshold would have given; only eligible ones can be the donor.
        const aligned = found.map((candidate) => ({...candidate, alignment: alignTokens(candidate.entry.tokens, prompt.tokens, {minRunLength: settings.minRunLength})}));
        const eligible = aligned.filter((candidate) => candidate.always || candidate.similarity >= settings.similarityThreshold);
        const best = bestCandidate(eligible);
        stages.align_ms = performance.now() - t;
        const expectedReuse = best == null || prompt.tokens.length === 0 ? 0 : best.alignment.reusedTokens / prompt.tokens.length;
        const candidates = candidateFrontier(aligned.map((c) => [c.always ? alwaysEligible : c.similarity, c.alignment.reusedTokens] as const));
        return (prompt.assessment = {stages, best, foundCount: eligible.length, expectedReuse, candidates});
    }

    /**
     * Admission for a quality check's replay: the logged request's donor, looked up again (undefined
     * when it was evicted since), instead of a fresh retrieval.
     */
    public replayAssessment(prompt: SharedPrompt, donorId: number, similarity: number): Assessment | undefined {
        const entry = this.deps.store.get(donorId);
        if (entry == null || entry.modelFingerprint !== this.deps.modelFingerprint) return undefined;
        if (entry.scope !== prompt.scope && entry.scope !== sharedScope) return undefined;
        const settings = effectiveSharing(this.deps.settings(), prompt.scope);
        const alignment = alignTokens(entry.tokens, prompt.tokens, {minRunLength: settings.minRunLength});
        const stages: Stages = {embed_ms: 0, retrieve_ms: 0, align_ms: 0, restore_ms: 0, edit_ms: 0, compute_ms: 0};
        const best: Candidate = {entry, similarity, exact: false, always: false, alignment};
        const expectedReuse = prompt.tokens.length === 0 ? 0 : alignment.reusedTokens / prompt.tokens.length;
        return (prompt.assessment = {stages, best, foundCount: 1, expectedReuse, candidates: []});
    }

    /**
     * Makes `sequence` hold the prompt's KV, reusing the best donor of the prompt's scope when it beats
     * the floor. The sequence's current KV must belong to the prompt's scope (the runtime clears it
     * otherwise), so no one's prefix is ever reused across scopes.
     */
    public async prepare(sequence: LlamaContextSequence, prompt: SharedPrompt): Promise<PreparedSequence> {
        const scoped = effectiveSharing(this.deps.settings(), prompt.scope);
        const settings = prompt.recomputeBudget == null ? scoped : {...scoped, recomputeBudget: prompt.recomputeBudget};
        const assessment = prompt.assessment ?? await this.assess(prompt);
        const stages = {...assessment.stages};
        const best = assessment.best;
        const ownPrefix = commonPrefixLength(sequence.contextTokens, prompt.tokens);
        prompt.trace = {prefixFloor: ownPrefix, similarityThreshold: settings.similarityThreshold, recomputeBudget: settings.recomputeBudget, minGainTokens: settings.minGainTokens};
        if (!settings.enabled) return this.floor(sequence, prompt, stages, "sharing is off");
        if (this.deps.scratch == null)
            return this.floor(sequence, prompt, stages, this.deps.editingUnavailableReason ?? "KV editing unavailable: exact prefix reuse only");
        if (best == null) return this.floor(sequence, prompt, stages, assessment.foundCount === 0 ? "no cached prompt above the similarity threshold" : "no donor shares enough tokens");
        if (best.alignment.reusedTokens < ownPrefix + settings.minGainTokens)
            return this.floor(sequence, prompt, stages, "the sequence's own prefix reuses as much");
        // A quality replay must measure the donor path itself, whatever it would cost.
        const verdict = !settings.costGate || prompt.replay === true ? undefined : this.gate.decide({
            promptTokens: prompt.tokens.length, ownPrefix, reusedTokens: best.alignment.reusedTokens, recomputeBudget: settings.recomputeBudget,
            donorTokens: best.entry.tokens.length, donorBytes: best.entry.bytes, inMemory: this.hot.has(best.entry.snapshotFile), editsAhead: this.editsInFlight
        });
        // The predictions count every scope's edits and the shared memory tier: only the owner sees them.
        if (verdict != null && !verdict.useDonor)
            return this.floor(sequence, prompt, stages, !prompt.revealDonor ? "cost gate: the prefix floor is predicted to be faster than the donor"
                : `cost gate: the donor would take ~${Math.round(verdict.donorMs)} ms` +
                `${verdict.waitMs >= 1 ? ` (${Math.round(verdict.waitMs)} ms waiting for the editing sequence)` : ""}, the prefix floor ~${Math.round(verdict.floorMs)} ms`);

        const t = performance.now();
        let snapshot = this.hot.get(best.entry.snapshotFile);
        const tier = snapshot != null ? "memory" : "disk";
        if (snapshot == null) {
            try {
                snapshot = await readSnapshot(this.absolute(best.entry.snapshotFile), {modelFingerprint: this.deps.modelFingerprint, context: this.deps.context});
                if (!sameTokens(snapshot.tokens, best.entry.tokens))
                    throw new SnapshotRefusedError("wrong-entry", `the file holds the KV of other tokens than cache entry ${best.entry.id}`, best.entry.snapshotFile);
            } catch (error) {
                if (!(error instanceof SnapshotRefusedError)) throw error;
                // Evicted (or cleared) since admission: a plain miss, not a damaged cache.
                if (this.deps.store.get(best.entry.id) == null) return this.floor(sequence, prompt, stages, "the donor was evicted meanwhile");
                this.dropRefused(best.entry, error);
                return this.floor(sequence, prompt, stages, `donor snapshot refused (${error.reason}); entry dropped`);
            }
            this.hot.put(best.entry.snapshotFile, snapshot);
        }
        const readMs = performance.now() - t;

        const recompute = selectRecompute(best.alignment.runs, prompt.tokens.length, {budgetFraction: settings.recomputeBudget});
        const report = await this.withScratch(() => reuseKv({
            context: this.deps.context,
            targetSequence: sequence,
            scratchSequence: this.deps.scratch,
            donor: {snapshot},
            targetTokens: prompt.tokens,
            plan: {keptRuns: best.alignment.runs, computePositions: recompute.ranges}
        }));
        addTimings(stages, report, readMs);
        if (report.mode !== "semantic") return this.toPrepared(report, prompt, stages, report.reason);
        this.gate.observeEdit({
            donorTokens: best.entry.tokens.length, readBytes: tier === "disk" ? best.entry.bytes : 0, readMs: tier === "disk" ? readMs : 0,
            restoreMs: report.timings.restoreMs, editMs: report.timings.editMs, computedTokens: prompt.tokens.length - report.reusedTokens, computeMs: report.timings.computeMs
        });

        // A quality check's replay is not a use: it must not keep a donor from eviction.
        if (prompt.replay !== true) this.deps.store.touch(best.entry.id);
        prompt.trace.donorId = best.entry.id;
        prompt.trace.budgetReuse = budgetLadder.map((budgetFraction) => selectRecompute(best.alignment.runs, prompt.tokens.length, {budgetFraction}).reusedTokens);
        const summary = summariseReuse(best.alignment.runs, prompt.tokens.length, recompute.ranges);
        const record: KvShareRecord = {
            mode: "semantic",
            prompt_tokens: prompt.tokens.length,
            reused_tokens: summary.counts.reused,
            computed_tokens: summary.counts.recomputed + summary.counts.new,
            recomputed_tokens: summary.counts.recomputed,
            scope: prompt.scope,
            // For others than the machine owner the donor's id is opaque and the tier left out: a
            // global counter and a memory tier shared by every scope would show other scopes' activity.
            donor: {id: prompt.revealDonor ? best.entry.id : this.opaqueId(best.entry.id), similarity: round(best.similarity), exact: best.exact, tokens: best.entry.tokens.length,
                ...(prompt.revealDonor ? {tier, prompt: best.entry.promptText} : {})},
            segments: summary.segments.map(({label, start, end}) => ({label, start, end})),
            runs: best.alignment.runs.map((run) => ({donor_start: run.donorStart, target_start: run.targetStart, length: run.length})),
            stages: roundStages(stages)
        };
        if (prompt.detail) {
            record.prompt_pieces = this.pieces(prompt.tokens);
            if (prompt.revealDonor) record.donor_pieces = this.pieces([...best.entry.tokens] as Token[]);
        }
        return {pendingTokens: report.pendingTokens, cachedTokens: summary.counts.reused, record};
    }

    /**
     * Feeds the cost gate what a prompt served from the floor cost: its prefill ran in the sequence's
     * own evaluation, which only the runtime times.
     */
    public observeServed(record: KvShareRecord, promptMs: number): void {
        if (record.mode !== "semantic") this.gate.observeFloor(record.computed_tokens, promptMs);
    }

    /**
     * Captures the sequence's KV (prompt and answer) in memory so the sequence can be given back at
     * once; the returned function writes it as a donor for later prompts of the same scope. Returns
     * undefined when there is nothing worth caching.
     */
    public async capture(sequence: LlamaContextSequence, prompt: SharedPrompt): Promise<(() => Promise<void>) | undefined> {
        const settings = this.deps.settings();
        if (!settings.enabled) return undefined;
        const tokens = sequence.contextTokens;
        if (tokens.length < 2 * settings.minRunLength) return undefined;
        // The same prompt cached before in this scope: its KV is as good a donor as this one.
        if (this.deps.store.findExact(this.deps.modelFingerprint, [prompt.scope], hashTokens(prompt.tokens)) != null) return undefined;
        let captured: CapturedState;
        try {
            captured = await captureForSnapshot(sequence);
        } catch (error) {
            this.deps.log.warn(`could not capture the prompt's KV: ${(error as Error).message}`);
            return undefined;
        }
        return () => this.persist(captured, prompt, settings);
    }

    /**
     * Writes captured KV as a snapshot, indexes it, and keeps snapshots within the byte budget.
     * Failures are logged, never thrown: a full disk must not fail a request that was already answered.
     */
    /**
     * Makes captured KV a donor. It is indexed at once, from memory (the memory tier holds it, pinned,
     * until its file is written): the next paraphrase often arrives the moment this answer does, and
     * must not miss it because a file is still being written. Too large for the memory tier, it is
     * indexed once on disk. A failed write takes the entry back out.
     */
    private async persist(captured: CapturedState, prompt: SharedPrompt, settings: SharingSettings): Promise<void> {
        const relative = `${SNAPSHOTS_SUBDIR}/${Date.now().toString(36)}-${crypto.randomBytes(6).toString("hex")}.kvsnap`;
        let indexed: CacheEntry | undefined;
        try {
            prompt.embedding ??= (await this.deps.embedder.embed([prompt.text]))[0] ?? null;
            const header = buildSnapshotHeader({captured, modelFingerprint: this.deps.modelFingerprint});
            if (this.hot.putPinned(relative, {header, tokens: header.tokens, payload: captured.payload}))
                indexed = this.index(relative, header.tokens, header.payloadBytes, prompt);
            await writeSnapshot({captured, header, filePath: this.absolute(relative), modelFingerprint: this.deps.modelFingerprint});
            this.hot.unpin(relative);
            if (indexed == null) indexed = this.index(relative, header.tokens, header.payloadBytes, prompt);
            // Evicted or cleared while the file was written: the file has no row to belong to.
            else if (this.deps.store.get(indexed.id) == null) fs.rmSync(this.absolute(relative), {force: true});
            for (const evicted of this.deps.store.evictToBudget(settings.maxSnapshotBytes)) this.hot.delete(evicted.snapshotFile);
        } catch (error) {
            this.deps.log.warn(`could not cache the prompt's KV: ${(error as Error).message}`);
            this.hot.delete(relative);
            try {
                if (indexed != null) this.deps.store.remove(indexed.id);
                fs.rmSync(this.absolute(relative), {force: true});
            } catch {
                // The folder itself may be what failed; nothing was written then.
            }
        }
    }

    private index(relative: string, tokens: readonly number[], bytes: number, prompt: SharedPrompt): CacheEntry {
        if (this.purgedScopes.has(prompt.scope)) throw new Error(`the scope ${prompt.scope} was purged`);
        return this.deps.store.insert({
            modelFingerprint: this.deps.modelFingerprint,
            scope: prompt.scope,
            promptText: prompt.text,
            tokens,
            tokenHash: hashTokens(prompt.tokens),
            snapshotFile: relative,
            bytes
        }, prompt.embedding ?? null);
    }

    /**
     * Makes the cache hold exactly the admin-marked shared prefixes: computes the KV of each marked
     * text alone (on the scratch sequence) and stores it in the shared scope; drops entries of texts no
     * longer marked. Needs KV editing (a prefix donor is reused through the edit path).
     */
    public async refreshSharedPrefixes(): Promise<void> {
        const {store, modelFingerprint, scratch} = this.deps;
        const marked = this.deps.settings().sharedPrefixes;
        for (const entry of store.entriesInScope(modelFingerprint, sharedScope)) {
            if (!marked.includes(entry.promptText)) {
                store.remove(entry.id);
                this.hot.delete(entry.snapshotFile);
            }
        }
        if (marked.length > 0 && scratch == null)
            this.deps.log.warn("shared prefixes are marked, but KV editing is off: they are shared only through each scope's own cache");
        const vectors = new Map<string, Float32Array>();
        for (const text of marked) {
            const embedding = (await this.deps.embedder.embed([text]))[0] ?? null;
            if (embedding != null) vectors.set(text, embedding);
            if (scratch == null) continue;
            for (const tokens of this.deps.sharedPrefixForms(text)) {
                if (tokens.length < 2 * this.deps.settings().minRunLength) continue;
                if (store.findExact(modelFingerprint, [sharedScope], hashTokens(tokens)) != null) continue;
                const captured = await this.withScratch(async () => {
                    await scratch.clearHistory();
                    try {
                        await scratch.evaluateWithoutGeneratingNewTokens([...tokens]);
                        return await captureForSnapshot(scratch);
                    } finally {
                        await scratch.clearHistory();
                    }
                });
                await this.persist(captured, {tokens, text, scope: sharedScope, detail: false, revealDonor: false, embedding}, this.deps.settings());
            }
        }
        this.sharedPrefixEntries = store.entriesInScope(modelFingerprint, sharedScope).flatMap((entry) => {
            const vector = vectors.get(entry.promptText);
            return vector == null ? [] : [{entry, vector}];
        });
    }

    /** The requester's scope's nearest cached prompts, whatever their similarity (admission filters them). */
    private retrieve(prompt: SharedPrompt, settings: SharingSettings): Found[] {
        const {store, modelFingerprint} = this.deps;
        // The requester's own scope, plus the admin-marked shared prefixes (their KV holds nothing else).
        const scopes = [prompt.scope, sharedScope];
        const found = new Map<number, Found>();
        const exact = store.findExact(modelFingerprint, scopes, hashTokens(prompt.tokens));
        if (exact != null) found.set(exact.id, {entry: exact, similarity: 1, exact: true, always: true});
        if (prompt.embedding != null) {
            for (const {entry, similarity} of store.nearest(modelFingerprint, scopes, prompt.embedding, settings.topK, 0))
                if (!found.has(entry.id)) found.set(entry.id, {entry, similarity, exact: false, always: entry.scope === sharedScope});
        }
        // Marked shared prefixes are always candidates, however little of the prompt they are: the
        // admin chose them, and the aligner decides whether they help.
        for (const {entry, vector} of this.sharedPrefixEntries) {
            if (!found.has(entry.id))
                found.set(entry.id, {entry, similarity: prompt.embedding == null ? 0 : dot(prompt.embedding, vector), exact: false, always: true});
        }
        return [...found.values()];
    }

    private async floor(sequence: LlamaContextSequence, prompt: SharedPrompt, stages: Stages, note: string): Promise<PreparedSequence> {
        if (!this.deps.settings().prefixReuse) {
            await sequence.clearHistory();
            note = `${note}; prefix reuse is off`;
        }
        const report = await reuseKv({context: this.deps.context, targetSequence: sequence, targetTokens: prompt.tokens});
        addTimings(stages, report, 0);
        return this.toPrepared(report, prompt, stages, note);
    }

    private toPrepared(report: KvReuseReport, prompt: SharedPrompt, stages: Stages, note: string): PreparedSequence {
        return {
            pendingTokens: report.pendingTokens,
            cachedTokens: report.reusedTokens,
            record: {
                mode: report.mode,
                prompt_tokens: prompt.tokens.length,
                reused_tokens: report.reusedTokens,
                computed_tokens: prompt.tokens.length - report.reusedTokens,
                recomputed_tokens: 0,
                scope: prompt.scope,
                stages: roundStages(stages),
                note
            }
        };
    }

    /**
     * Deletes every cached prompt of a scope (a revoked key's) and keeps it empty: a request of that
     * scope still being served when the purge ran is not indexed afterwards.
     * @returns how many entries were removed
     */
    public purgeScope(scope: string): number {
        this.purgedScopes.add(scope);
        const removed = this.deps.store.removeScope(scope);
        for (const entry of removed) this.hot.delete(entry.snapshotFile);
        return removed.length;
    }

    /** What others than the machine owner see of a donor's index id (see {@link opaqueId}). */
    public publicDonorId(id: number): number {
        return this.opaqueId(id);
    }

    /** A stable per-process stand-in for an entry id that tells nothing about how many entries exist. */
    private opaqueId(id: number): number {
        return crypto.createHmac("sha256", this.idSecret).update(String(id)).digest().readUInt32BE(0);
    }

    /** Drops an entry whose snapshot was refused; logs once (the call that actually removed it). */
    private dropRefused(entry: CacheEntry, error: SnapshotRefusedError): void {
        this.hot.delete(entry.snapshotFile);
        if (this.deps.store.remove(entry.id) != null)
            this.deps.log.warn(`cache entry ${entry.id}: snapshot refused (${error.reason}): ${error.message}; entry dropped`);
    }

    /** One KV edit at a time uses the scratch sequence. */
    private withScratch<T>(work: () => Promise<T>): Promise<T> {
        this.editsInFlight++;
        const run = this.scratchQueue.then(work).finally(() => this.editsInFlight--);
        this.scratchQueue = run.catch(() => undefined);
        return run;
    }

    private absolute(relative: string): string {
        return path.join(this.deps.cacheDir, ...relative.split("/"));
    }

    /** Each token's text as it reads in place (with its leading space), so pieces join to the prompt. */
    private pieces(tokens: readonly Token[]): string[] {
        return tokens.map((token, i) => this.deps.detokenize([token], tokens.slice(Math.max(0, i - 4), i)));
    }
}

function addTimings(stages: Stages, report: KvReuseReport, extraRestoreMs: number): void {
    stages.restore_ms += report.timings.restoreMs + extraRestoreMs;
    stages.edit_ms += report.timings.editMs;
    stages.compute_ms += report.timings.computeMs;
}

function roundStages(stages: Stages): Stages {
    return Object.fromEntries(Object.entries(stages).map(([key, value]) => [key, round(value)])) as Stages;
}

function round(value: number): number {
    return Math.round(value * 1000) / 1000;
}

function sameTokens(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
}
