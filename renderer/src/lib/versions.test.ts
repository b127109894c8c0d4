import {describe, expect, it} from "vitest";
import {everyMessage} from "../../../shared/messageVersions.js";
import type {StoredMessage} from "./types.js";
import {answerAfter, showVersion, startVersion, versionPosition} from "./versions.js";

const msg = (id: string, role: StoredMessage["role"] = id.startsWith("q") ? "user" : "assistant"): StoredMessage => ({
    id,
    role,
    content: `text of ${id}`,
    createdAt: 1
});
const ids = (messages: readonly StoredMessage[]) => messages.map((m) => m.id);
const chat = [msg("q1"), msg("a1"), msg("q2"), msg("a2")];

describe("message versions", () => {
    it("an edit starts a new version, shown last; the old continuation is kept whole", () => {
        const edited = startVersion(chat, 2, [msg("q2b")]);
        expect(ids(edited)).toEqual(["q1", "a1", "q2b"]);
        expect(versionPosition(edited[2]!)).toEqual({index: 1, count: 2});
        expect(edited[2]!.alternatives!.map(ids)).toEqual([["q2", "a2"]]);
        // Nothing given is changed.
        expect(ids(chat)).toEqual(["q1", "a1", "q2", "a2"]);
        expect(chat[2]!.alternatives).toBeUndefined();
    });

    it("switching shows that version's whole continuation and keeps the one left", () => {
        const edited = startVersion(chat, 2, [msg("q2b"), msg("a2b")]);
        const back = showVersion(edited, 2, 0);
        expect(ids(back)).toEqual(["q1", "a1", "q2", "a2"]);
        expect(versionPosition(back[2]!)).toEqual({index: 0, count: 2});
        expect(back[2]!.alternatives!.map(ids)).toEqual([["q2b", "a2b"]]);
        // The version left holds no versions of its own at its head (they moved to the message shown).
        expect(back[2]!.alternatives![0]![0]!.alternatives).toBeUndefined();
        expect(ids(showVersion(back, 2, 1))).toEqual(["q1", "a1", "q2b", "a2b"]);
    });

    it("keeps the order of versions: a new one goes last whichever is shown", () => {
        const two = startVersion(chat, 3, [msg("a2b")]);
        const firstShown = showVersion(two, 3, 0);
        const three = startVersion(firstShown, 3, [msg("a2c")]);
        expect(versionPosition(three[3]!)).toEqual({index: 2, count: 3});
        const order = [0, 1, 2].map((v) => showVersion(three, 3, v)[3]!.id);
        expect(order).toEqual(["a2", "a2b", "a2c"]);
        expect(showVersion(three, 3, 1)[3]!.alternatives!.map(ids)).toEqual([["a2"], ["a2c"]]);
    });

    it("keeps versions nested in an older version across switches back and forth", () => {
        // An edit of the first question, then, in the first version, a regenerated last answer.
        const edited = startVersion(chat, 0, [msg("q1b"), msg("a1b")]);
        const firstVersion = showVersion(edited, 0, 0);
        const regenerated = startVersion(firstVersion, 3, [msg("a2b")]);
        expect(ids(regenerated)).toEqual(["q1", "a1", "q2", "a2b"]);

        const away = showVersion(regenerated, 0, 1);
        expect(ids(away)).toEqual(["q1b", "a1b"]);
        const again = showVersion(away, 0, 0);
        expect(ids(again)).toEqual(["q1", "a1", "q2", "a2b"]);
        expect(versionPosition(again[3]!)).toEqual({index: 1, count: 2});
        expect(ids(showVersion(again, 3, 0))).toEqual(["q1", "a1", "q2", "a2"]);
        // Every message is still there, each once.
        expect(ids(everyMessage(again)).sort()).toEqual(["a1", "a1b", "a2", "a2b", "q1", "q1b", "q2"]);
    });

    it("a message without versions is the only one; out-of-range requests change nothing", () => {
        expect(versionPosition(chat[0]!)).toEqual({index: 0, count: 1});
        expect(showVersion(chat, 0, 1)).toEqual(chat);
        expect(startVersion(chat, 9, [msg("x")])).toEqual(chat);
        expect(startVersion(chat, 1, [])).toEqual(chat);
        // A stored index out of range (a copy from elsewhere) is read as the nearest place.
        expect(versionPosition({...chat[0]!, alternatives: [[msg("q0")]], alternativeIndex: 7})).toEqual({index: 1, count: 2});
    });
    it("keeps an answer after its question in whichever version holds it, the version shown staying shown", () => {
        // The last question was edited (q2b), then the first version shown again while q2b was being answered.
        const edited = startVersion(chat, 2, [msg("q2b")]);
        const back = showVersion(edited, 2, 0);
        const answered = answerAfter(back, "q2b", msg("a2b"))!;
        expect(ids(answered)).toEqual(["q1", "a1", "q2", "a2"]);
        expect(answered[2]!.alternatives!.map(ids)).toEqual([["q2b", "a2b"]]);
        expect(versionPosition(answered[2]!)).toEqual({index: 0, count: 2});
        expect(ids(showVersion(answered, 2, 1))).toEqual(["q1", "a1", "q2b", "a2b"]);
        // Shown, and last: after it. Followed by an answer (regenerated): a new version of that answer, shown.
        expect(ids(answerAfter(edited, "q2b", msg("a2b"))!)).toEqual(["q1", "a1", "q2b", "a2b"]);
        const regenerated = answerAfter(back, "q2", msg("a2c"))!;
        expect(ids(regenerated)).toEqual(["q1", "a1", "q2", "a2c"]);
        expect(regenerated[3]!.alternatives!.map(ids)).toEqual([["a2"]]);
        // An answer regenerated in a version kept aside is a new version there; what is shown does not move.
        const aside = answerAfter(showVersion(answered, 2, 1), "q2", msg("a2c"))!;
        expect(ids(aside)).toEqual(["q1", "a1", "q2b", "a2b"]);
        expect(ids(showVersion(aside, 2, 0))).toEqual(["q1", "a1", "q2", "a2c"]);
        expect(answerAfter(chat, "gone", msg("x"))).toBeUndefined();
    });
});
