/**
 * A chat's messages are the version shown; a message may keep the other versions of the chat from it on
 * (`alternatives`, each a whole continuation that may hold versions of its own). Read here by the server,
 * its test double and the renderer alike.
 */
export interface Versioned<T> {
    alternatives?: T[][];
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
