/**
 * Deviation scores of reused tokens (KVShare v2's DHD, CacheBlend's selection): how far each kept token's
 * cached V at the probe layer is from the V a fresh pass over the target computes there, optionally weighted
 * by the attention the last prompt token pays the token at that layer.
 */
import type {KeptRun} from "../../kv/index.js";

/** The probe's rows at one layer (see `probeLayer` in the KV layer). */
export interface ProbeRows {
    /** RoPE'd query of the last target token, `nHead × headDim`. */
    readonly q: Float32Array;
    /** RoPE'd keys, a row of `nHeadKv × headDim` per target token. */
    readonly k: Float32Array;
    /** Fresh values, a row of `nEmbdV` per target token. */
    readonly v: Float32Array;
    readonly headDim: number;
    readonly nHead: number;
    readonly nHeadKv: number;
    readonly nEmbdV: number;
}

/** The donor's cached V rows at the same layer (see `readLayerValues`). */
export interface DonorRows {
    readonly positions: Int32Array;
    readonly rows: Float32Array;
    readonly nEmbdV: number;
}

/**
 * A score per target position: for a kept position, `ΔV` = Σ|V_fresh − V_cached| over heads and dims, times
 * (with `attentionWeighted`) the attention the last token's query pays it, softmax over the kept keys and
 * averaged over heads; NaN for positions no kept run covers (they are computed anyway) or whose donor cell is
 * missing.
 */
export function deviationScores(probe: ProbeRows, donor: DonorRows, runs: readonly KeptRun[], targetLength: number, attentionWeighted: boolean): Float32Array {
    const {nEmbdV} = probe;
    if (donor.nEmbdV !== nEmbdV) throw new Error(`donor V rows have ${donor.nEmbdV} values, the probe's ${nEmbdV}`);
    if (probe.v.length < targetLength * nEmbdV) throw new Error("the probe covers fewer tokens than the target");
    const cellOf = new Map<number, number>();
    donor.positions.forEach((position, cell) => cellOf.set(position, cell));

    const scores = new Float32Array(targetLength).fill(NaN);
    const kept: number[] = [];
    for (const run of runs)
        for (let i = 0; i < run.length; i++) {
            const target = run.targetStart + i;
            const cell = cellOf.get(run.donorStart + i);
            if (target >= targetLength || cell == null) continue;
            let deviation = 0;
            const fresh = target * nEmbdV;
            const cached = cell * nEmbdV;
            for (let j = 0; j < nEmbdV; j++) deviation += Math.abs((probe.v[fresh + j] as number) - (donor.rows[cached + j] as number));
            scores[target] = deviation;
            kept.push(target);
        }
    if (!attentionWeighted || kept.length === 0) return scores;

    const weights = lastTokenAttention(probe, kept);
    kept.forEach((target, i) => (scores[target] = (scores[target] as number) * (weights[i] as number)));
    return scores;
}

/** Attention of the last token's query over the keys at `positions`, softmax per head over those keys, averaged over heads. */
export function lastTokenAttention(probe: ProbeRows, positions: readonly number[]): Float64Array {
    const {headDim, nHead, nHeadKv} = probe;
    const group = Math.max(1, Math.floor(nHead / Math.max(1, nHeadKv)));
    const scale = 1 / Math.sqrt(headDim);
    const out = new Float64Array(positions.length);
    const logits = new Float64Array(positions.length);
    for (let h = 0; h < nHead; h++) {
        const kvHead = Math.min(nHeadKv - 1, Math.floor(h / group));
        let max = -Infinity;
        positions.forEach((position, i) => {
            let dot = 0;
            const q = h * headDim;
            const k = (position * nHeadKv + kvHead) * headDim;
            for (let d = 0; d < headDim; d++) dot += (probe.q[q + d] as number) * (probe.k[k + d] as number);
            logits[i] = dot * scale;
            if (logits[i] > max) max = logits[i];
        });
        let sum = 0;
        for (let i = 0; i < positions.length; i++) {
            logits[i] = Math.exp((logits[i] as number) - max);
            sum += logits[i] as number;
        }
        for (let i = 0; i < positions.length; i++) out[i] = (out[i] as number) + (logits[i] as number) / sum / nHead;
    }
    return out;
}
