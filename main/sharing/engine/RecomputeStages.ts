/**
 * The two stages the measured recompute policies add around a donor edit (KVShare v2's DHD): before it, the
 * probe whose layer-`c` values score each kept token's deviation from the donor's; after it, while the
 * answer is decoded, the decode stage that recomputes the measured tokens the prefill left (`dhd-decode`).
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import type {RecomputePolicy} from "../../../shared/settings.js";
import type {Logger} from "../../common/log.js";
import {decodeLlamaSeqState, InPlaceRecompute, modelLayerCount, readLayerValues, type KvSnapshot, type LayerProbe} from "../../kv/index.js";
import {DECODE_RECOMPUTE_MAX_STEPS, DECODE_RECOMPUTE_PER_STEP, deviationScores, isCommonPrefix, isMeasuredPolicy} from "../policy/index.js";
import {round3} from "./stages.js";
import type {Candidate, DecodeStage, PreparedSequence, SharedPrompt, Stages} from "./types.js";

export interface RecomputeStagesDeps {
    context: LlamaContext;
    /** Computes the target's first layers in a scratch sequence; absent where no probe can run (stock binary). */
    probe?(tokens: readonly Token[]): Promise<LayerProbe>;
    log: Logger;
    /** What a probe of `tokens` tokens cost (the cost gate learns from it). */
    observeProbe(tokens: number, ms: number): void;
}

export class RecomputeStages {
    public constructor(private readonly deps: RecomputeStagesDeps) {}

    /**
     * Deviation scores of the kept tokens for the measured policies: the probe's fresh V at its layer
     * against the donor's cached V (and the last token's attention, but for `deviation`). Without a probe,
     * or when it fails, no scores: the policy then acts as `boundary`, and the note says why.
     */
    public async measure(
        policy: RecomputePolicy,
        budget: number,
        prompt: SharedPrompt,
        best: Candidate,
        donor: KvSnapshot,
        stages: Stages
    ): Promise<{scores?: Float32Array; note?: string}> {
        if (!isMeasuredPolicy(policy) || budget <= 0) return {};
        // Everything kept is a common prefix (a prompt asked again, or continued): its KV is a prefill's, nothing
        // can deviate, and the probe (a pass over the prompt's first layers) would be paid for nothing.
        if (best.alignment.runs.every(isCommonPrefix)) return {scores: new Float32Array(prompt.tokens.length)};
        if (this.deps.probe == null) return {note: "no deviation probe on this build: edit-boundary recompute"};
        const started = performance.now();
        try {
            const probe = await this.deps.probe(prompt.tokens);
            this.deps.observeProbe(prompt.tokens.length, probe.ms);
            const donorValues = readLayerValues(decodeLlamaSeqState(donor.payload).stateData, probe.layer, modelLayerCount(this.deps.context.model));
            return {scores: deviationScores(probe, donorValues, best.alignment.runs, prompt.tokens.length, policy !== "deviation")};
        } catch (error) {
            this.deps.log.warn(`deviation probe failed, recomputing at edit boundaries instead: ${(error as Error).message}`);
            return {note: "the deviation probe failed: edit-boundary recompute"};
        } finally {
            stages.probe_ms = performance.now() - started;
        }
    }

    /**
     * The decode stage of `dhd-decode` for a prepared sequence: recomputes its queued kept tokens a few per
     * generated token. Undefined when nothing is queued.
     */
    public decodeStage(sequence: LlamaContextSequence, prepared: PreparedSequence): DecodeStage | undefined {
        if (prepared.decodeQueue == null || prepared.decodeQueue.length === 0) return undefined;
        const stage = new InPlaceRecompute(this.deps.context, sequence, prepared.decodeQueue, DECODE_RECOMPUTE_PER_STEP, DECODE_RECOMPUTE_MAX_STEPS);
        return {
            step: () => stage.step(),
            pass: () => stage.pass(),
            finish: async () => {
                const done = await stage.finish();
                if (done.error != null) this.deps.log.warn(`decode-stage recompute failed, the sequence is cleared: ${done.error}`);
                prepared.record.decode_recompute = {tokens: done.tokens, ms: round3(done.ms)};
                return done.error == null;
            }
        };
    }
}
