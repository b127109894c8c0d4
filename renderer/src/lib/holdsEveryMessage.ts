import {everyMessage, type Versioned} from "../../../shared/messageVersions.js";

type Identified<T> = Versioned<T> & {id: string};

/** Whether the chat `copy` holds every message of `other`, in any of its versions (by id): `other` adds nothing to it. */
export function holdsEveryMessage<A extends Identified<A>, B extends Identified<B>>(copy: readonly A[], other: readonly B[]): boolean {
    const ids = new Set(everyMessage(copy).map((m) => m.id));
    return everyMessage(other).every((m) => ids.has(m.id));
}
