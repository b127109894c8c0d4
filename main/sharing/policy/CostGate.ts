/**
 * The cost-aware gate: predicts, from rates measured on this machine and model while serving, whether
 * reusing a donor's KV beats the prefix floor (the sequence's own prefix plus a prefill of the rest),
 * and says when it does not. On a small model prefill is nearly free and the fixed costs of a donor
 * (snapshot read, restore, edit) can exceed what it saves; on a large model the same donor saves most of a second.
 */

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

/** The donor on offer and the floor it competes with. */
export interface GateQuestion {
    promptTokens: number;
    /** Tokens the sequence's own KV already holds (the floor's reuse). */
    ownPrefix: number;
    /** Tokens the donor lets us keep, before recompute. */
    reusedTokens: number;
    recomputeBudget: number;
    donorTokens: number;
    donorBytes: number;
    inMemory: boolean;
}

export interface GateAnswer {
    useDonor: boolean;
    /** Predicted milliseconds until the prompt's KV is ready, with the donor and from the floor. */
    donorMs: number;
    floorMs: number;
}

/** Samples each rate needs before the gate acts on it. */
const minSamples = 3;
/** After this many donors skipped in a row, one goes ahead anyway, so the rates stay current. */
const exploreEvery = 8;

export class CostGate {
    private readonly prefillMsPerToken = new Ema();
    private readonly editComputeMsPerToken = new Ema();
    private readonly restoreEditMsPerDonorToken = new Ema();
    private readonly readMsPerByte = new Ema();
    private skippedInARow = 0;
    private uncachedInARow = 0;

    /** A prompt served from the floor: `computedTokens` prefilled in `promptMs`. */
    public observeFloor(computedTokens: number, promptMs: number): void {
        // Short prefills are dominated by fixed per-call costs: they would overstate the per-token rate.
        if (computedTokens >= 16) this.prefillMsPerToken.add(promptMs / computedTokens);
    }

    /** Predicted milliseconds to prefill `tokens` tokens on this machine, once measured. */
    public prefillMs(tokens: number): number | undefined {
        return this.prefillMsPerToken.count < minSamples ? undefined : tokens * this.prefillMsPerToken.value;
    }

    /**
     * Whether to keep a prompt of `tokens` tokens as a donor: not when even a donor reused whole
     * (nothing to compute) is predicted to cost more to restore and edit than prefilling it, as on a
     * tiny model — except one in {@link exploreEvery}, so the rates stay current. Yes until both rates
     * have been measured.
     */
    public worthCaching(tokens: number): boolean {
        if (this.prefillMsPerToken.count < minSamples || this.restoreEditMsPerDonorToken.count < minSamples) return true;
        if (tokens * this.prefillMsPerToken.value > tokens * this.restoreEditMsPerDonorToken.value) return true;
        return ++this.uncachedInARow % exploreEvery === 0;
    }

    public observeEdit(edit: EditObservation): void {
        this.skippedInARow = 0;
        if (edit.donorTokens > 0) this.restoreEditMsPerDonorToken.add((edit.restoreMs + edit.editMs) / edit.donorTokens);
        if (edit.computedTokens > 0) this.editComputeMsPerToken.add(edit.computeMs / edit.computedTokens);
        if (edit.readBytes > 0) this.readMsPerByte.add(edit.readMs / edit.readBytes);
    }

    /**
     * Whether to use the donor. Until every rate involved has been measured a few times the donor is
     * used (the gate must see edits to learn their cost).
     */
    public decide(q: GateQuestion): GateAnswer | undefined {
        const rates = [this.prefillMsPerToken, this.editComputeMsPerToken, this.restoreEditMsPerDonorToken];
        if (!q.inMemory) rates.push(this.readMsPerByte);
        if (rates.some((rate) => rate.count < minSamples)) return undefined;
        const computed = q.promptTokens - q.reusedTokens + Math.round(q.recomputeBudget * q.reusedTokens);
        const donorMs =
            (q.inMemory ? 0 : q.donorBytes * this.readMsPerByte.value) +
            q.donorTokens * this.restoreEditMsPerDonorToken.value +
            computed * this.editComputeMsPerToken.value;
        const floorMs = (q.promptTokens - q.ownPrefix) * this.prefillMsPerToken.value;
        let useDonor = donorMs <= floorMs;
        if (!useDonor && ++this.skippedInARow >= exploreEvery) useDonor = true;
        return {useDonor, donorMs, floorMs};
    }
}
