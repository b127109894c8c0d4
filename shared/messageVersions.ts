/**
 * A chat's messages are the version shown; a message may keep the other versions of the chat from it on
 * (`alternatives`, each a whole continuation that may hold versions of its own). Read here by the server,
 * its test double and the renderer alike. Nothing here changes what it is given.
 */
export interface Versioned<T> {
    alternatives?: T[][];
    /** Where the version shown sits among all of them (0..alternatives.length; alternatives.length if absent). */
    alternativeIndex?: number;
}

type Identified<T> = Versioned<T> & {id: string};

/**
 * Deleted message ids a chat keeps at most: the most recent. An older one forgotten could come back only with a copy
 * of the chat read before that many deletions since.
 */
export const MAX_DELETED_IDS = 5000;

/** The deleted ids of two copies of a chat, each once, in order (`earlier`'s first), the most recent {@link MAX_DELETED_IDS}. */
export function deletedIdsOf(earlier: readonly string[] | undefined, later: readonly string[] | undefined): string[] {
    return [...new Set([...(earlier ?? []), ...(later ?? [])])].slice(-MAX_DELETED_IDS);
}

/** Every message of a chat, those of the versions not shown included, each once. */
export function everyMessage<T extends Versioned<T>>(messages: readonly T[]): T[] {
    const all: T[] = [];
    const walk = (list: readonly T[]): void => {
        for (const m of list) {
            all.push(m);
            for (const version of m.alternatives ?? []) walk(version);
        }
    };
    walk(messages);
    return all;
}

/**
 * Whether the chat `copy` holds every message of `other`, in any of its versions (by id), counting those the copy
 * deleted (`deleted`) as held: `other` adds nothing to it.
 */
export function holdsEveryMessage<A extends Identified<A>, B extends Identified<B>>(
    copy: readonly A[],
    other: readonly B[],
    deleted: readonly string[] = []
): boolean {
    const ids = new Set([...everyMessage(copy).map((m) => m.id), ...deleted]);
    return everyMessage(other).every((m) => ids.has(m.id));
}

/** A message without the versions it holds (the first message of a kept version: its siblings live elsewhere). */
export function bare<T extends Versioned<T>>(message: T): T {
    const copy = {...message};
    delete copy.alternatives;
    delete copy.alternativeIndex;
    return copy;
}

/** `alternativeIndex` kept within 0..count (a copy saved by hand, or an older app, may lack or stretch it). */
export function shownIndex<T extends Versioned<T>>(message: T): number {
    const count = message.alternatives?.length ?? 0;
    const index = message.alternativeIndex ?? count;
    return Number.isInteger(index) ? Math.min(Math.max(index, 0), count) : count;
}

/** All versions from position `at` on, in their order, the shown one (bare at its head) among them. */
export function versionsAt<T extends Versioned<T>>(messages: readonly T[], at: number): T[][] {
    const head = messages[at];
    if (head === undefined) return [];
    const others = head.alternatives ?? [];
    const index = shownIndex(head);
    return [...others.slice(0, index), [bare(head), ...messages.slice(at + 1)], ...others.slice(index)];
}

/** The messages before `at` followed by version `target` of `versions`, the others kept on its first message. */
export function show<T extends Versioned<T>>(messages: readonly T[], at: number, versions: T[][], target: number): T[] {
    const chosen = versions[target];
    const head = chosen?.[0];
    if (chosen === undefined || head === undefined) return [...messages];
    const others = versions.filter((_, i) => i !== target);
    const first = others.length === 0 ? bare(head) : {...bare(head), alternatives: others, alternativeIndex: target};
    return [...messages.slice(0, at), first, ...chosen.slice(1)];
}

/**
 * The chat without the messages `ids` names, in whichever version each is. A message leaves the versions it
 * heads to the message after it: the versions from there on are the versions kept on both (the rest of the
 * version shown keeps being shown). A version left empty is gone; where it was the one shown, the version
 * before it is shown (at the front, the one after). The same deletions give the same chat wherever they are
 * made, so two copies that apply them agree.
 */
export function withoutMessages<T extends Identified<T>>(messages: readonly T[], ids: ReadonlySet<string>): T[] {
    // A chat that holds none of them is left as it is (not rebuilt: its versions read the same either way).
    return everyMessage(messages).some((m) => ids.has(m.id)) ? pruned(messages, ids) : [...messages];
}

function pruned<T extends Identified<T>>(messages: readonly T[], ids: ReadonlySet<string>): T[] {
    // Messages that are neither deleted nor hold versions stay as they are: only from the first that does is the
    // list built again.
    const at = messages.findIndex((m) => ids.has(m.id) || m.alternatives != null);
    const head = messages[at];
    if (head === undefined) return [...messages];
    const after = pruned(messages.slice(at + 1), ids);
    const index = shownIndex(head);
    // A version whose first message was deleted starts at the next one, which may keep versions of its own: they are
    // versions from here on too, side by side (the first message of a version kept aside holds none).
    const spread = (version: T[]): T[][] => (version[0]?.alternatives == null ? [version] : versionsAt(version, 0));
    const kept = (list: readonly T[][]): T[][] =>
        list
            .map((version) => pruned(version, ids))
            .flatMap(spread)
            .filter((v) => v.length > 0);
    const before = kept((head.alternatives ?? []).slice(0, index));
    const later = kept((head.alternatives ?? []).slice(index));
    // The version shown from here on; where the head is the one deleted, the versions its next message keeps.
    const shown = ids.has(head.id) ? versionsAt(after, 0) : [[bare(head), ...after]];
    const shownAt = ids.has(head.id) ? shownIndex(after[0] ?? {}) : 0;
    const versions = [...before, ...shown, ...later];
    if (versions.length === 0) return messages.slice(0, at);
    // Where the version shown is gone (a deleted message was all of it), the one before where it was, else the next.
    const target = shown.length > 0 ? before.length + shownAt : Math.max(0, before.length - 1);
    return [...messages.slice(0, at), ...show([], 0, versions, target)];
}
