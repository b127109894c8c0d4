/**
 * Retrieve and align: the cached prompts of the requester's scope nearest to a prompt, each aligned to it,
 * and the one that lets it reuse the most tokens (KVShare v2's choice: the most useful donor, not the most
 * similar).
 */
import type {SharingSettings} from "../../config/settings.js";
import type {DonorCache} from "../cache/DonorCache.js";
import {dot} from "../embed/index.js";
import {alignCandidates, alwaysEligible} from "./candidates.js";
import {sharedScope} from "./scopes.js";
import type {Admission, Candidate, FoundDonor, SharedPrompt, Stages} from "./types.js";

/** The requester's scope's nearest cached prompts, whatever their similarity (admission filters them). */
function retrieveDonors(cache: DonorCache, prompt: SharedPrompt, embedding: Float32Array | null, settings: SharingSettings): FoundDonor[] {
    // The requester's own scope, plus the admin-marked shared prefixes (their KV holds nothing else).
    const scopes = [prompt.scope, sharedScope];
    const found = new Map<number, FoundDonor>();
    const exact = cache.findExact(scopes, prompt.tokens);
    if (exact != null) found.set(exact.id, {entry: exact, similarity: 1, exact: true, always: true});
    if (embedding != null) {
        for (const {entry, similarity} of cache.nearest(scopes, embedding, settings.topK))
            if (!found.has(entry.id)) found.set(entry.id, {entry, similarity, exact: false, always: entry.scope === sharedScope});
    }
    // Marked shared prefixes are always candidates, however little of the prompt they are: the
    // admin chose them, and the aligner decides whether they help.
    for (const {entry, vector} of cache.sharedPrefixes) {
        if (!found.has(entry.id)) found.set(entry.id, {entry, similarity: embedding == null ? 0 : dot(embedding, vector), exact: false, always: true});
    }
    return [...found.values()];
}

/** Retrieves and aligns the prompt's candidates (timed into `stages`): the admission with the best donor, if any. */
export function searchDonors(cache: DonorCache, prompt: SharedPrompt, embedding: Float32Array | null, settings: SharingSettings, stages: Stages): Admission {
    const cacheVersion = cache.version;
    let t = performance.now();
    const found = retrieveDonors(cache, prompt, embedding, settings);
    stages.retrieve_ms = performance.now() - t;

    t = performance.now();
    // Candidates below the threshold count too (topK of them at most): the what-if curves show
    // what another threshold would have given; only eligible ones can be the donor.
    const inputs = found.map((c) => ({
        tokens: c.entry.tokens,
        similarity: c.always ? alwaysEligible : c.similarity,
        eligible: c.always || c.similarity >= settings.similarityThreshold
    }));
    const aligned = alignCandidates(inputs, prompt.tokens, {minRunLength: settings.minRunLength});
    const best: Candidate | undefined = aligned.best == null ? undefined : {...found[aligned.best]!, alignment: aligned.alignments[aligned.best]!};
    stages.align_ms = performance.now() - t;
    const expectedReuse = best == null || prompt.tokens.length === 0 ? 0 : best.alignment.reusedTokens / prompt.tokens.length;
    const foundCount = inputs.filter((input) => input.eligible).length;
    return {embedding, cacheVersion, stages, ...(best == null ? {} : {best}), foundCount, expectedReuse, candidates: aligned.frontier};
}
