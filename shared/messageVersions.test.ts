import {describe, expect, it} from "vitest";
import {everyMessage, holdsEveryMessage, shownIndex, withoutMessages, type Versioned} from "./messageVersions.js";

interface M extends Versioned<M> {
    id: string;
}

const m = (id: string, alternatives?: M[][], alternativeIndex?: number): M => ({
    id,
    ...(alternatives == null ? {} : {alternatives}),
    ...(alternativeIndex == null ? {} : {alternativeIndex})
});
const ids = (list: readonly M[]) => list.map((x) => x.id);
/** Every version from the message at `at`, in order, and which is shown. */
const versions = (list: readonly M[], at: number) => {
    const head = list[at]!;
    const shown = [head.id, ...ids(list.slice(at + 1))];
    const all = (head.alternatives ?? []).map(ids);
    all.splice(shownIndex(head), 0, shown);
    return {all, shown: shownIndex(head)};
};
const without = (list: readonly M[], ...gone: string[]) => withoutMessages(list, new Set(gone));

describe("withoutMessages", () => {
    it("takes a message out of the version shown and leaves every other message as it was", () => {
        const chat = [m("q1"), m("a1"), m("q2"), m("a2")];
        const left = without(chat, "a1");
        expect(ids(left)).toEqual(["q1", "q2", "a2"]);
        expect(left[0]).toBe(chat[0]);
        expect(ids(chat)).toEqual(["q1", "a1", "q2", "a2"]);
        expect(without(chat, "nowhere")).toEqual(chat);
    });

    it("hands the versions a deleted message heads to the message after it, the same version shown", () => {
        // q2 was edited into q2b: versions [q2 a2] (shown) and [q2b a2b].
        const chat = [m("q1"), m("a1"), m("q2", [[m("q2b"), m("a2b")]], 0), m("a2")];
        const left = without(chat, "q2");
        expect(ids(left)).toEqual(["q1", "a1", "a2"]);
        expect(versions(left, 2)).toEqual({all: [["a2"], ["q2b", "a2b"]], shown: 0});
    });

    it("shows the version before where the version shown was all deleted (at the front, the one after)", () => {
        const three = [m("q1"), m("a1b", [[m("a1a")], [m("a1c")]], 1)];
        const left = without(three, "a1b");
        expect(ids(left)).toEqual(["q1", "a1a"]);
        expect(versions(left, 1)).toEqual({all: [["a1a"], ["a1c"]], shown: 0});
        const first = [m("q1"), m("a1a", [[m("a1b")]], 0)];
        expect(ids(without(first, "a1a"))).toEqual(["q1", "a1b"]);
        expect(without(first, "a1a")[1]!.alternatives).toBeUndefined();
        // Nothing left of any version from there: the chat ends before it.
        expect(ids(without(first, "a1a", "a1b"))).toEqual(["q1"]);
        expect(without([m("q1")], "q1")).toEqual([]);
    });

    it("deletes in a version not shown, at any depth", () => {
        const nested = [m("q1"), m("a1", [[m("a1b"), m("q2b", [[m("q2c"), m("a2c")]], 1), m("a2b")]], 1)];
        const left = without(nested, "a2c", "a1b");
        expect(ids(left)).toEqual(["q1", "a1"]);
        // The kept version lost its first message: it starts at q2b, whose versions are versions of a1's place now,
        // side by side (the first message of a version kept aside holds none).
        expect(versions(left, 1)).toEqual({all: [["q2c"], ["q2b", "a2b"], ["a1"]], shown: 2});
        expect(left[1]!.alternatives!.every((v) => v[0]!.alternatives === undefined)).toBe(true);
        expect(everyMessage(left).map((x) => x.id)).not.toContain("a2c");
    });

    it("gives the same chat whichever order a version's head and the message after it are deleted in", () => {
        const chat = [m("h", [[m("v1"), m("v2", [[m("w")]], 1)]], 1)];
        const together = without(chat, "h", "v1");
        expect(without(without(chat, "h"), "v1")).toEqual(together);
        expect(without(without(chat, "v1"), "h")).toEqual(together);
        expect(
            everyMessage(together)
                .map((x) => x.id)
                .sort()
        ).toEqual(["v2", "w"]);
    });

    it("merges the versions of a deleted head with those its next message keeps", () => {
        // q2 has versions [q2 a2*] and [q2b]; a2 has versions [a2] (shown) and [a2x].
        const chat = [m("q1"), m("q2", [[m("q2b")]], 0), m("a2", [[m("a2x")]], 0)];
        const left = without(chat, "q2");
        expect(ids(left)).toEqual(["q1", "a2"]);
        expect(versions(left, 1)).toEqual({all: [["a2"], ["a2x"], ["q2b"]], shown: 0});
    });

    it("gives the same chat applied again, and wherever the same deletions are applied", () => {
        const chat = [m("q1"), m("a1", [[m("a1b"), m("q2b")]], 0), m("q2"), m("a2")];
        const once = without(chat, "a1", "q2b");
        expect(without(once, "a1", "q2b")).toEqual(once);
        expect(without(without(chat, "a1"), "q2b")).toEqual(once);
    });
});

describe("holdsEveryMessage", () => {
    it("counts the messages a copy deleted as held", () => {
        const stored = [m("q1"), m("a1"), m("q2")];
        const mine = [m("q1"), m("q2")];
        expect(holdsEveryMessage(mine, stored)).toBe(false);
        expect(holdsEveryMessage(mine, stored, ["a1"])).toBe(true);
        // A message kept in a version not shown is held too.
        expect(holdsEveryMessage([m("q1", [[m("a1")]]), m("q2")], stored)).toBe(true);
    });
});
