/**
 * The spread of token counts (variance over squared mean: a coefficient of variation of 0.2) below which a fit that
 * asks for it takes the rate through the origin. Timings on a busy machine vary by several times for the same
 * count: between counts a few percent apart, one slow sample fits a slope many times the real rate.
 */
export const minSlopeSpread = 0.04;

/**
 * `ms ≈ fixed + perToken × tokens`, fitted by exponentially weighted least squares (with `decay` < 1 recent samples
 * count most; 1 weighs all alike). While all samples have about the same token count the fixed part cannot be told
 * from the per-token one: `untrusted` stands in, a rate through the origin or a flat cost (the mean: for a cost that
 * is mostly a wait, the same for few tokens as for many). `minRelativeSpread`: how far apart the token counts must be
 * (their variance over their squared mean) before a slope is trusted; with it, a slope of 0 or less is not trusted
 * either (a few near-equal lengths make the slope noise: 0 one time, ten times the rate the next).
 */
export class LineFit {
    private w = 0;
    private x = 0;
    private y = 0;
    private xx = 0;
    private xy = 0;
    public count = 0;

    public constructor(
        private readonly decay = 0.9,
        private readonly minRelativeSpread = 0,
        private readonly untrusted: "rate" | "flat" = "rate"
    ) {}

    public add(tokens: number, ms: number): void {
        if (!Number.isFinite(ms) || ms < 0 || !(tokens > 0)) return;
        const d = this.decay;
        this.w = d * this.w + 1;
        this.x = d * this.x + tokens;
        this.y = d * this.y + ms;
        this.xx = d * this.xx + tokens * tokens;
        this.xy = d * this.xy + tokens * ms;
        this.count++;
    }

    /** The fitted line's parts: milliseconds per token, and the fixed milliseconds of a pass (0 through the origin). */
    public line(): {perToken: number; fixed: number} {
        const spread = this.w * this.xx - this.x * this.x;
        const fallback = () => (this.untrusted === "flat" ? {perToken: 0, fixed: this.w === 0 ? 0 : this.y / this.w} : this.throughOrigin());
        // Too little spread in token counts to separate the fixed part.
        if (spread <= 1e-9 * this.w * this.xx || spread < this.minRelativeSpread * this.x * this.x) return fallback();
        const slope = (this.w * this.xy - this.x * this.y) / spread;
        if (this.minRelativeSpread > 0 && slope <= 0) return fallback();
        const perToken = Math.max(0, slope);
        return {perToken, fixed: Math.max(0, (this.y - perToken * this.x) / this.w)};
    }

    /** The rate through the origin: milliseconds over tokens, the fixed part charged to the tokens. */
    public throughOrigin(): {perToken: number; fixed: number} {
        return {perToken: this.x === 0 ? 0 : this.y / this.x, fixed: 0};
    }

    public predict(tokens: number): number {
        const {perToken, fixed} = this.line();
        return fixed + perToken * tokens;
    }
}
