/**
 * The two stages the measured recompute policies add around a donor edit (KVShare v2's DHD): before it, the
 * probe whose layer-`c` values score each kept token's deviation from the donor's; after it, while the
 * answer is decoded, the decode stage that recomputes the measured tokens the prefill left (`dhd-decode`), and
 * with `dhd-guard` all of the reused KV before a token that may be a near tie.
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import type {RecomputePolicy} from "../../../shared/settings.js";
import type {Logger} from "../../common/log.js";
import {
    decodeLlamaSeqState,
    InPlaceRecompute,
    modelLayerCount,
    readLayerValues,
    type GuardVerdict,
    type InPlaceToken,
    type KvSnapshot,
    type LayerProbe
} from "../../kv/index.js";
import {
    DECODE_RECOMPUTE_MAX_STEPS,
    DECODE_RECOMPUTE_PER_STEP,
    deviationScores,
    isCommonPrefix,
    isMeasuredPolicy,
    isNearTie,
    mayBeNearTie,
    type RecomputePlan
} from "../policy/index.js";
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
     * The decode stage of `dhd-decode` and `dhd-guard` for a prepared sequence: recomputes its queued kept tokens
     * a few per generated token, and for `dhd-guard` all the reused KV past the common prefix before a token that may
     * be a near tie. Undefined when there is nothing to recompute.
     */
    public decodeStage(sequence: LlamaContextSequence, prepared: PreparedSequence): DecodeStage | undefined {
        const guard = prepared.guard;
        if ((prepared.decodeQueue ?? []).length === 0 && guard == null) return undefined;
        const stage = new InPlaceRecompute(this.deps.context, sequence, prepared.decodeQueue ?? [], DECODE_RECOMPUTE_PER_STEP, DECODE_RECOMPUTE_MAX_STEPS);
        let flushedAt: number | undefined;
        return {
            hooks: (othersWaiting, othersServed = () => false) => ({
                beforeNextToken: async () => {
                    if (othersWaiting()) stage.pass();
                    else await stage.step();
                },
                ...(guard == null
                    ? {}
                    : {
                          // The guard's recompute is a prefill's worth of the prompt's tail: only on a machine that has
                          // nothing else to do (nobody waiting, no other answer being decoded).
                          recheck: async (
                              probability: number,
                              taken: number,
                              computed: () => readonly InPlaceToken[],
                              margin: () => Promise<number>
                          ): Promise<GuardVerdict> => {
                              // Cells lost to a failed recompute: an answer over what is left would not be the model's.
                              if (stage.failed) throw new Error("a decode-stage recompute failed: the sequence lost part of its prompt");
                              if (!stage.flushable) return "done";
                              const yieldNow = () => othersWaiting() || othersServed();
                              if (yieldNow()) return "continue";
                              // The cost gate learns how often the first token is recomputed for: from checks that ran.
                              const checked = () => {
                                  if (taken === 0) guard.checkedFirst = true;
                              };
                              // Unsure is not a tie: a token with a clear runner-up goes on over the KV as it is.
                              const unsure = mayBeNearTie(probability);
                              if (unsure && taken === 0) guard.readFirst = true;
                              if (!unsure || !isNearTie(await margin())) {
                                  checked();
                                  return "continue";
                              }
                              // A request that comes meanwhile (or a stop) ends it between two batches: the answer goes on
                              // over the KV as far as it got (before the first batch: nothing was done, a later token may).
                              const outcome = await stage.flush([...guard.cells, ...computed()], yieldNow);
                              if (outcome === "failed") throw new Error("the near-tie guard's recompute failed: the sequence lost part of its prompt");
                              if (outcome === "deferred") return "continue";
                              checked();
                              if (outcome === "skipped") return "done";
                              flushedAt = taken;
                              return "fixed";
                          }
                      })
            }),
            finish: async () => {
                const done = await stage.finish();
                if (done.error != null) this.deps.log.warn(`decode-stage recompute failed, the sequence is cleared: ${done.error}`);
                // Counted as reused tokens whose KV was computed after all (the decode stage's queue holds only those).
                let tokens = done.fresh.size;
                if (guard != null) {
                    tokens = 0;
                    for (const position of done.fresh) if (guard.donorKv.has(position)) tokens++;
                }
                prepared.record.decode_recompute = {
                    tokens,
                    ms: round3(done.ms),
                    ...(flushedAt != null && done.error == null ? {flushed_at: flushedAt} : {})
                };
                return done.error == null;
            }
        };
    }
}

/**
 * `dhd-guard`'s cells for a plan: those the sequence holds before decoding (all but the `pending` last ones) past the
 * exact common prefix, and which of them hold donor KV; none where none does (the guard has nothing to fix). The
 * cells computed before the first donor-KV cell hold a prefill's values in exact arithmetic, but they go again all the
 * same: in floating point a value depends on the batch and the cell order it was computed in, and recomputed as one
 * run with the rest, in position order, the prompt's tail comes out as a prefill computes it. Left as the edit placed
 * them, near ties on stories260K parted from full prefill in 5 of 440 guarded answers.
 */
export function guardFor(plan: RecomputePlan, prompt: readonly Token[], pending: number): {guard?: {cells: InPlaceToken[]; donorKv: Set<number>}} {
    const held = prompt.length - pending;
    const donorKv = new Set<number>();
    // plan.ranges: sorted, merged, what the prefill computed
    let position = plan.commonPrefix;
    for (const range of plan.ranges) {
        for (; position < Math.min(range.start, held); position++) donorKv.add(position);
        position = Math.max(position, range.end);
    }
    for (; position < held; position++) donorKv.add(position);
    if (donorKv.size === 0) return {};
    const first = plan.commonPrefix;
    const cells = Array.from({length: held - first}, (_, i) => ({position: first + i, token: prompt[first + i] as Token}));
    return {guard: {cells, donorKv}};
}
