/**
 * A hit record as a chat keeps it: without the donor's text (`donor.prompt`, `donor_pieces`). The text is shown
 * with the answer (to its own sender only), but a saved chat outlives the cache: a cached prompt deleted for good,
 * or one whose sender was purged, must not live on in other chats' history, nor in a chat saved before donor
 * texts were kept to their senders.
 */
import type {KvShareRecord} from "./openai.js";

export function keptHit(hit: KvShareRecord): KvShareRecord {
    const {donor_pieces: _pieces, ...rest} = hit;
    if (rest.donor == null) return rest;
    const {prompt: _prompt, ...donor} = rest.donor;
    return {...rest, donor};
}

/** Messages, and the versions they keep, with their hit records as a chat keeps them. */
export function withKeptHits<M extends {hit?: KvShareRecord; alternatives?: M[][]}>(messages: readonly M[]): M[] {
    return messages.map((m) => {
        let kept = m;
        if (m.hit != null) kept = {...kept, hit: keptHit(m.hit)};
        if (m.alternatives != null) kept = {...kept, alternatives: m.alternatives.map((version) => withKeptHits(version))};
        return kept;
    });
}
