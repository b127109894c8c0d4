/**
 * The cost-aware gate: predicts, from rates measured on this machine and model while serving, whether
 * reusing a donor's KV beats the prefix floor (the sequence's own prefix plus a prefill of the rest),
 * and says when it does not. On a small model prefill is nearly free and the fixed costs of a donor
 * (snapshot read, restore, edit) can exceed what it saves; on a large model the same donor saves most of a second.
 * A decode costs a fixed pass over the weights plus a cost per token: for a short prompt on a large model a donor's
 * fixed costs and its edit's pass outweigh the tokens saved, so decode costs are fitted as lines, not rates (where
 * the lengths measured spread enough to tell the two parts apart). Both paths end in a pass of the prompt's last
 * token alone (its logits give the first token), timed on its own.
 */

import {LineFit, minSlopeSpread} from "../../common/lineFit.js";

/** Exponential moving average; `count` tells whether it has seen enough to be trusted. */
class Ema {
    public value = 0;
    public count = 0;

    public constructor(private readonly weight = 0.2) {}

    public add(sample: number): void {
        if (!Number.isFinite(sample) || sample < 0) return;
        this.value = this.count === 0 ? sample : this.value + this.weight * (sample - this.value);
        this.count++;
    }
}

/** What one served edit cost (from its stage timings). */
export interface EditObservation {
    donorTokens: number;
    /** Bytes read from disk (0 for a donor from the memory tier) and how long that took. */
    readBytes: number;
    readMs: number;
    restoreMs: number;
    editMs: number;
    /** Tokens computed inside the edit (new, replaced, recomputed) and how long that took. */
    computedTokens: number;
    computeMs: number;
}

/** What the recompute policy adds to a donor's path: its budget, and whether it probes first. */
export interface DonorCharge {
    recomputeBudget: number;
    /** The recompute policy probes the prompt's first layers first (a measured policy). */
    probes?: boolean;
    /**
     * `dhd-guard` on a greedy answer: where the first token is unsure, every cell after the common prefix is
     * computed again before it (charged at the share of guarded answers measured to do so).
     */
    guards?: boolean;
}

/** The donor on offer and the floor it competes with. */
export interface GateQuestion extends DonorCharge {
    promptTokens: number;
    /** Tokens the sequence's own KV already holds (the floor's reuse). */
    ownPrefix: number;
    /** Tokens the donor lets us keep, before recompute. */
    reusedTokens: number;
    /** Of those, the ones the recompute budget is a share of (see deviatingKept); all of them where not given. */
    deviatingTokens?: number;
    donorTokens: number;
    donorBytes: number;
    inMemory: boolean;
    /** Requests are waiting for a sequence (see {@link coldMinSavedTokens}). */
    busy?: boolean;
}

export interface GateAnswer {
    useDonor: boolean;
    /** Decided before the costs were measured (see {@link coldMinSavedTokens}); no predictions then. */
    cold?: boolean;
    /** Predicted milliseconds until the prompt's KV is ready, with the donor and from the floor. */
    donorMs: number;
    floorMs: number;
}

/** Samples each rate needs before the gate acts on it. */
const minSamples = 3;
/**
 * Before a donor's costs are measured, while requests wait for a sequence, one that saves fewer prompt
 * tokens than this over the floor is not tried: its fixed costs (restore, edit, one more decode pass,
 * each a wait for the context between other sequences' batches) are not paid back by a few tokens on
 * any model, while a long shared prompt is worth the experiment that measures them. With nobody
 * waiting the experiment costs no one else anything, and any donor is tried.
 */
export const coldMinSavedTokens = 64;
/**
 * After this many donors skipped in a row, one goes ahead anyway, so the rates stay current. Each
 * such exploration that the rates still answer "no" to doubles the run (up to {@link maxExploreEvery}):
 * where donors keep losing (a tiny model under load) exploring costs less and less, and the first
 * prediction in a donor's favour starts over at the short run. An exploration waits until no request
 * waits for a sequence: a donor predicted to lose would make them wait longer.
 */
const exploreEvery = 8;
const maxExploreEvery = 128;

/**
 * A cost measured while serving: recent samples count most, and a slope only where the token counts spread enough
 * (served prompts of about one length, timed on a busy machine, fit any slope, and one slow sample a steep one);
 * where none can be fitted, a rate per token, or for a cost that is mostly a wait (`flat`), the mean.
 */
const timeLine = (untrusted: "rate" | "flat" = "rate"): LineFit => new LineFit(0.9, minSlopeSpread, untrusted);

/** Counts skips and says when the next one should go ahead anyway (see {@link exploreEvery}). */
class Explorer {
    private skipped = 0;
    private every = exploreEvery;

    /** A skip: true when this one goes ahead after all (never while `busy`). */
    public skip(busy: boolean): boolean {
        if (++this.skipped < this.every || busy) return false;
        this.skipped = 0;
        this.every = Math.min(maxExploreEvery, this.every * 2);
        return true;
    }

    /** The rates favour going ahead: back to the short run. */
    public reset(): void {
        this.skipped = 0;
        this.every = exploreEvery;
    }
}

export class CostGate {
    private readonly prefill = timeLine();
    private readonly editCompute = timeLine();
    /**
     * Restore and edit against the donor's tokens. A line, not a rate: under load most of it is the
     * wait for the context between other sequences' batches, the same for a short donor as a long one
     * (and so the wait alone where no slope can be fitted).
     */
    private readonly restoreEdit = timeLine("flat");
    private readonly readMsPerByte = new Ema();
    /** Copying a served prompt's KV out of its sequence (the sequence is held meanwhile). */
    private readonly capture = timeLine();
    /** Deviation probes: milliseconds against prompt tokens. */
    private readonly probe = timeLine();
    private readonly skippedDonors = new Explorer();
    private readonly uncachedPrompts = new Explorer();
    /** Of the guarded answers served from a donor (their first token checked), the share whose guard recomputed before it (1 or 0 each). */
    private readonly guardBeforeFirst = new Ema(0.1);
    /** Of the same answers, the share whose first token was unsure enough to have its runner-up read (one token's decode). */
    private readonly guardReadFirst = new Ema(0.1);
    /**
     * The decode of a prompt's last token, timed on every path. A pass of one token is mostly the pass over the
     * weights: a prefill's rate through the origin (all that can be fitted where served prompts are of one length)
     * puts it at one token's share of a long batch, many times too little on a GPU.
     */
    private readonly lastToken = new Ema();

    /** The decode of a served prompt's last token (one pass, the only token pending) took `ms`. */
    public observeLastToken(ms: number): void {
        this.lastToken.add(ms);
    }

    /** Predicted milliseconds of a decode pass of one token: as timed, or until then the prefill's line at one token. */
    private oneToken(): number {
        return this.lastToken.count < minSamples ? this.prefill.predict(1) : this.lastToken.value;
    }

    /**
     * A guarded answer served from a donor whose first token was checked: whether its guard recomputed before it, and
     * whether the check read the token's runner-up.
     */
    public observeGuard(beforeFirstToken: boolean, readRunnerUp: boolean): void {
        this.guardBeforeFirst.add(beforeFirstToken ? 1 : 0);
        this.guardReadFirst.add(readRunnerUp ? 1 : 0);
    }

    /** A prompt served from the floor: `computedTokens` prefilled in `promptMs`. */
    public observeFloor(computedTokens: number, promptMs: number): void {
        this.prefill.add(computedTokens, promptMs);
    }

    /** Predicted milliseconds to prefill `tokens` tokens on this machine, once measured. */
    public prefillMs(tokens: number): number | undefined {
        return this.prefill.count < minSamples ? undefined : this.prefill.predict(tokens);
    }

    /**
     * Whether to keep a prompt of `tokens` tokens as a donor: not when even its best use — a later
     * prompt the same but for its last token, from the memory tier, at `recomputeBudget` — is predicted
     * to be slower than a prefill (a tiny model, or a short prompt on a large one), except now and then
     * (see {@link exploreEvery}), so the rates stay current. The capture that keeping it costs now (the
     * sequence is held meanwhile) counts against that use once measured. Until the rates have been
     * measured, yes but for a short prompt while requests wait (see {@link coldMinSavedTokens}).
     */
    public worthCaching(tokens: number, charge: DonorCharge, busy = false): boolean {
        const best = this.bestUse(tokens, charge);
        if (best == null) return !busy || tokens >= coldMinSavedTokens;
        if (this.pays(tokens, best)) {
            this.uncachedPrompts.reset();
            return true;
        }
        return this.uncachedPrompts.skip(busy);
    }

    /**
     * Whether prompts of `tokens` tokens are, as measured, kept out of the cache (but for the occasional one that
     * keeps the rates current): what a prompt served from the floor is told, so that the admin does not look for
     * the reason in the similarity threshold. Nothing is decided or counted.
     */
    public keepsOut(tokens: number, charge: DonorCharge): boolean {
        const best = this.bestUse(tokens, charge);
        return best != null && !this.pays(tokens, best);
    }

    /** Keeping a prompt costs a capture now: its best use must save more than that. */
    private pays(tokens: number, best: {donorMs: number; floorMs: number}): boolean {
        const captureMs = this.capture.count < minSamples ? 0 : this.capture.predict(tokens);
        return best.floorMs - best.donorMs > captureMs;
    }

    /**
     * Whether any donor could beat the floor for a prompt of `tokens` tokens: false once measured when
     * even the best one (the same prompt but for its last token, from the memory tier) is predicted to
     * be slower, so that looking for one (embedding, retrieval, alignment) is not worth its time.
     */
    public donorsCanPay(tokens: number, charge: DonorCharge): boolean {
        const best = this.bestUse(tokens, charge);
        return best == null || best.donorMs <= best.floorMs;
    }

    /**
     * The prediction for a prompt's best possible donor: itself but for its last token, in memory. That is an exact
     * common prefix: no kept token can deviate, so none is recomputed and no probe runs (nor can a guard fix anything).
     */
    private bestUse(tokens: number, charge: DonorCharge): {donorMs: number; floorMs: number} | undefined {
        return this.predict({
            promptTokens: tokens,
            ownPrefix: 0,
            reusedTokens: tokens - 1,
            donorTokens: tokens,
            donorBytes: 0,
            inMemory: true,
            ...charge,
            deviatingTokens: 0,
            probes: false
        });
    }

    /** What copying a served prompt's `tokens` tokens of KV out of its sequence cost. */
    public observeCapture(tokens: number, ms: number): void {
        this.capture.add(tokens, ms);
    }

    /** What a deviation probe of `tokens` prompt tokens cost. */
    public observeProbe(tokens: number, ms: number): void {
        this.probe.add(tokens, ms);
    }

    public observeEdit(edit: EditObservation): void {
        if (edit.donorTokens > 0) this.restoreEdit.add(edit.donorTokens, edit.restoreMs + edit.editMs);
        this.editCompute.add(edit.computedTokens, edit.computeMs);
        if (edit.readBytes > 0) this.readMsPerByte.add(edit.readMs / edit.readBytes);
    }

    /**
     * Whether to use the donor. Until every rate involved has been measured a few times the donor is
     * used (the gate must see edits to learn their cost; undefined means "use it, unmeasured"), but for
     * a small saving while requests wait (see {@link coldMinSavedTokens}).
     */
    public decide(q: GateQuestion): GateAnswer | undefined {
        const predicted = this.predict(q);
        if (predicted == null) {
            if (q.busy !== true || q.reusedTokens - q.ownPrefix >= coldMinSavedTokens) return undefined;
            return {useDonor: false, cold: true, donorMs: Number.NaN, floorMs: Number.NaN};
        }
        let useDonor = predicted.donorMs <= predicted.floorMs;
        if (useDonor) this.skippedDonors.reset();
        else useDonor = this.skippedDonors.skip(q.busy === true);
        return {useDonor, ...predicted};
    }

    /**
     * What a guard is expected to add before the first token: the cells after the common prefix (the kept tokens the
     * budget is a share of, and the computed ones) computed again, times the share of guarded answers measured to
     * do that, and the runner-up read (one token's decode), times the share measured to read it. Only where those
     * kept tokens are known (an actual donor, not a prompt's best use), once measured.
     */
    private guardMs(q: GateQuestion): number {
        // While requests wait the guard does not run (their compute goes to them).
        if (q.guards !== true || q.busy === true || q.deviatingTokens == null || this.guardBeforeFirst.count < minSamples) return 0;
        const cells = q.deviatingTokens + (q.promptTokens - q.reusedTokens) - 1;
        if (cells <= 0) return 0;
        const decode = this.oneToken();
        // the read; the cells, then the last prompt token decoded again
        return this.guardReadFirst.value * decode + this.guardBeforeFirst.value * (this.editCompute.predict(cells) + decode);
    }

    /** Milliseconds until the prompt's KV is ready, with the donor and from the floor; undefined until measured. */
    private predict(q: GateQuestion): {donorMs: number; floorMs: number} | undefined {
        const rates: Array<{count: number}> = [this.prefill, this.editCompute, this.restoreEdit];
        if (!q.inMemory) rates.push(this.readMsPerByte);
        if (rates.some((rate) => rate.count < minSamples)) return undefined;
        const computed = q.promptTokens - q.reusedTokens + Math.round(q.recomputeBudget * (q.deviatingTokens ?? q.reusedTokens));
        // The edit computes all but the last prompt token, which generation's first decode takes.
        const donorMs =
            (q.inMemory ? 0 : q.donorBytes * this.readMsPerByte.value) +
            this.restoreEdit.predict(q.donorTokens) +
            (computed > 1 ? this.editCompute.predict(computed - 1) : 0) +
            // a probe runs before the edit; counted once measured (a partial pass: a share of a prefill)
            (q.probes === true && this.probe.count >= minSamples ? this.probe.predict(q.promptTokens) : 0) +
            this.guardMs(q) +
            this.oneToken();
        return {donorMs, floorMs: this.prefill.predict(Math.max(1, q.promptTokens - q.ownPrefix))};
    }
}
