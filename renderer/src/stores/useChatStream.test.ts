import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import type {FakeBackend} from "../testing/fakes.js";
import {nextFrame} from "../testing/frames.js";
import {freshChatState} from "../testing/freshChatState.js";
import {canContinue, INTERRUPTED, keepPartialOnPageHide, toChatMessages, useChatStream} from "./useChatStream.js";
import {useConnection} from "./useConnection.js";
import {CONVERSATIONS_STORAGE, selectActiveConversation, takeChatsFromOtherTab, useConversations} from "./useConversations.js";
import {THIS_TAB, answeringEntryKey, answeringInThisBrowser} from "./answeringElsewhere.js";
import {showVersion} from "../lib/versions.js";

/** The answer being written (these tests write one at a time), or null. */
const answerShown = () => Object.values(useChatStream.getState().answers)[0] ?? null;

const active = () => selectActiveConversation(useConversations.getState())!;

describe("useChatStream", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = freshChatState({status: "ok", error: null});
    });
    afterEach(() => setBackend(null));

    it("sends a message, shows text as it streams and stores the answer with stats", async () => {
        const sending = useChatStream.getState().send("Once upon a time");
        expect(active().messages.map((m) => m.content)).toEqual(["Once upon a time"]);
        expect(backend.requests[0]!.messages).toEqual([{role: "user", content: "Once upon a time"}]);
        expect(backend.requests[0]!.params).toEqual({temperature: 0.7, max_tokens: 256});

        backend.delta("there");
        await nextFrame();
        expect(answerShown()?.text).toBe("there");
        // Pieces that come within one frame are drawn together.
        backend.delta(" was");
        backend.delta(" a");
        expect(answerShown()?.text).toBe("there");
        await nextFrame();
        expect(answerShown()?.text).toBe("there was a");
        backend.complete();
        await sending;

        expect(answerShown()).toBeNull();
        const answer = active().messages[1]!;
        expect(answer).toMatchObject({role: "assistant", content: "there was a"});
        expect(answer.stats).toMatchObject({finishReason: "stop", promptTokens: 12, cachedTokens: 4, completionTokens: 3, tokensPerSecond: 500, ttftMs: 3.5});
    });

    it("continues an answer cut at the max tokens in place: the model is sent the answer so far, and it grows", async () => {
        const first = useChatStream.getState().send("Once upon a time");
        backend.delta("there was a");
        backend.complete({finishReason: "length"});
        await first;
        const cut = active().messages[1]!;
        expect(canContinue(cut)).toBe(true);

        const continuing = useChatStream.getState().continueAnswer(active().id);
        expect(backend.requests[1]!.messages).toEqual([
            {role: "user", content: "Once upon a time"},
            {role: "assistant", content: "there was a"}
        ]);
        // The answer streams on from where it stopped, drawn whole.
        expect(answerShown()).toMatchObject({text: "there was a", continues: cut.id});
        backend.delta(" little girl.");
        await nextFrame();
        expect(answerShown()?.text).toBe("there was a little girl.");
        backend.complete();
        await continuing;

        // One answer, longer, in its place: no new version, the same id; its stats are the continuation's.
        expect(active().messages).toHaveLength(2);
        const done = active().messages[1]!;
        expect(done).toMatchObject({id: cut.id, role: "assistant", content: "there was a little girl."});
        expect(done.alternatives).toBeUndefined();
        expect(done.stats?.finishReason).toBe("stop");
        expect(canContinue(done)).toBe(false);
    });

    it("keeps what a stopped continuation wrote, and offers to go on again", async () => {
        const first = useChatStream.getState().send("Once upon a time");
        backend.delta("there");
        useChatStream.getState().stop(active().id);
        await first;
        expect(canContinue(active().messages[1])).toBe(true);
        const continuing = useChatStream.getState().continueAnswer(active().id);
        backend.delta(" was");
        await nextFrame();
        useChatStream.getState().stop(active().id);
        await continuing;
        expect(active().messages.map((m) => m.content)).toEqual(["Once upon a time", "there was"]);
        expect(active().messages[1]!.stats?.finishReason).toBe("aborted");
        expect(canContinue(active().messages[1])).toBe(true);
        // An answer the model ended, a failed one, or a question: nothing to continue.
        expect(canContinue({role: "assistant", content: "x", stats: {finishReason: "stop"}})).toBe(false);
        expect(canContinue({role: "assistant", content: "", error: "the server failed"})).toBe(false);
        expect(canContinue({role: "user", content: "x"})).toBe(false);
    });

    it("leaves an answer whole when its continuation fails, says why, and goes on once asked again", async () => {
        const first = useChatStream.getState().send("Once upon a time");
        backend.delta("there was a");
        backend.complete({finishReason: "length"});
        await first;
        const cut = active().messages[1]!;
        const failing = useChatStream.getState().continueAnswer(active().id);
        backend.fail(new Error("the server went away"));
        await failing;
        const failed = active().messages[1]!;
        expect(failed).toMatchObject({id: cut.id, content: "there was a", error: "the server went away"});
        // What it continued still stopped at the max tokens: its stats stay, and Continue is offered again.
        expect(failed.stats).toEqual(cut.stats);
        expect(canContinue(failed)).toBe(true);
        const again = useChatStream.getState().continueAnswer(active().id);
        backend.delta(" fox.");
        backend.complete();
        await again;
        expect(active().messages[1]).toMatchObject({id: cut.id, content: "there was a fox."});
        expect(active().messages[1]!.error).toBeUndefined();
        expect(active().messages[1]!.stats?.finishReason).toBe("stop");
    });

    it("sends the system prompt and the chat's params", async () => {
        const id = useConversations.getState().create();
        useConversations.getState().setSystemPrompt(id, "Be brief.");
        useConversations.getState().setParams(id, {max_tokens: 1000, temperature: 0});
        const sending = useChatStream.getState().send("hi");
        expect(backend.requests[0]).toEqual({
            messages: [
                {role: "system", content: "Be brief."},
                {role: "user", content: "hi"}
            ],
            params: {max_tokens: 1000, temperature: 0},
            user: "Guest",
            // A long chat is not refused once over the context: the server leaves its oldest messages out.
            contextOverflow: "drop_oldest"
        });
        backend.complete();
        await sending;
    });

    it("asks as the chat's profile, keeps the hit record, and edits and resends a question", async () => {
        const id = useConversations.getState().create("Nurse");
        const first = useChatStream.getState().send("Lily went out");
        expect(backend.requests[0]!.user).toBe("Nurse");
        const hit = {mode: "semantic" as const, prompt_tokens: 9, reused_tokens: 5, computed_tokens: 4, recomputed_tokens: 1};
        backend.complete({kvshare: hit});
        await first;
        const conversation = () => useConversations.getState().conversations.find((c) => c.id === id)!;
        expect(conversation().messages[1]!.hit).toEqual(hit);

        const question = conversation().messages[0]!;
        const again = useChatStream.getState().editAndResend(id, question.id, "Tom went out");
        // Only the version shown is sent: the old question and its answer are kept, not asked about.
        expect(backend.requests[1]!.messages).toEqual([{role: "user", content: "Tom went out"}]);
        backend.complete();
        await again;
        expect(conversation().messages.map((m) => [m.role, m.content])).toEqual([
            ["user", "Tom went out"],
            ["assistant", ""]
        ]);
        expect(conversation().messages[0]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["Lily went out", ""]]);
    });

    it("asks about the version shown only, after switching back to an older one", async () => {
        const id = useConversations.getState().create();
        const conversation = () => useConversations.getState().conversations.find((c) => c.id === id)!;
        const first = useChatStream.getState().send("Lily went out");
        backend.complete({content: "She saw a dog."});
        await first;
        const edit = useChatStream.getState().editAndResend(id, conversation().messages[0]!.id, "Tom went out");
        backend.complete({content: "He saw a cat."});
        await edit;
        useConversations.getState().showVersion(id, conversation().messages[0]!.id, 0);
        const next = useChatStream.getState().send("What then?");
        expect(backend.requests.at(-1)!.messages).toEqual([
            {role: "user", content: "Lily went out"},
            {role: "assistant", content: "She saw a dog."},
            {role: "user", content: "What then?"}
        ]);
        backend.complete({content: "They played."});
        await next;
        // The other version is still there, with its answer.
        useConversations.getState().showVersion(id, conversation().messages[0]!.id, 1);
        expect(conversation().messages.map((m) => m.content)).toEqual(["Tom went out", "He saw a cat."]);
    });

    it("stops mid-stream, keeps the partial answer marked aborted, and can send again", async () => {
        const sending = useChatStream.getState().send("long story");
        backend.delta("Once");
        useChatStream.getState().stop(active().id);
        await sending;
        expect(active().messages[1]).toMatchObject({content: "Once", stats: {finishReason: "aborted"}});
        expect(active().messages[1]!.stats!.ttftMs).toBeTypeOf("number");
        // The server counted nothing (the stream was cut): the pieces that streamed say how much was written.
        expect(active().messages[1]!.stats!.streamedPieces).toBe(1);
        expect(answerShown()).toBeNull();

        const again = useChatStream.getState().send("short");
        expect(backend.requests[1]!.messages.map((m) => m.content)).toEqual(["long story", "Once", "short"]);
        backend.complete({content: "ok"});
        await again;
        expect(active().messages).toHaveLength(4);
    });

    it("ignores sends while an answer is streaming and empty messages", async () => {
        const sending = useChatStream.getState().send("first");
        await useChatStream.getState().send("second");
        await useChatStream.getState().send("   ");
        expect(backend.requests).toHaveLength(1);
        backend.complete();
        await sending;
    });

    it("regenerates the last answer", async () => {
        const sending = useChatStream.getState().send("q");
        backend.delta("old");
        backend.complete();
        await sending;
        const old = active().messages[1]!;
        const regen = useChatStream.getState().regenerate(active().id);
        // The old answer stays in the chat while the new one is written (which hides it), and is not sent.
        expect(answerShown()?.replaces).toBe(old.id);
        expect(backend.requests[1]!.messages).toEqual([{role: "user", content: "q"}]);
        backend.delta("new");
        backend.complete();
        await regen;
        expect(active().messages.map((m) => m.content)).toEqual(["q", "new"]);
        expect(active().messages[1]).toMatchObject({alternativeIndex: 1, alternatives: [[{id: old.id, content: "old"}]]});
    });

    it("answers several chats at once, each on its own: its own text, its own Stop, kept in its own chat, and each kept when the page goes away", async () => {
        const page = new EventTarget();
        const stopWatching = keepPartialOnPageHide(page as unknown as Window);
        const chat = (id: string) => useConversations.getState().conversations.find((c) => c.id === id)!;
        const first = useChatStream.getState().send("first question");
        const a = active().id;
        const b = useConversations.getState().create();
        const second = useChatStream.getState().send("second question");
        const c = useConversations.getState().create();
        const third = useChatStream.getState().send("third question");
        expect(backend.requests.map((r) => r.messages.at(-1)?.content)).toEqual(["first question", "second question", "third question"]);
        // A chat being answered asks nothing more meanwhile.
        await useChatStream.getState().regenerate(b);
        expect(backend.requests).toHaveLength(3);

        backend.delta("one", 0);
        backend.delta("two", 1);
        backend.delta("three", 2);
        await nextFrame();
        const {answers} = useChatStream.getState();
        expect([answers[a]?.text, answers[b]?.text, answers[c]?.text]).toEqual(["one", "two", "three"]);

        useChatStream.getState().stop(b);
        await second;
        expect(chat(b).messages.at(-1)).toMatchObject({content: "two", stats: {finishReason: "aborted"}});
        expect(Object.keys(useChatStream.getState().answers).sort()).toEqual([a, c].sort());

        backend.complete({}, 1);
        await third;
        expect(chat(c).messages.at(-1)?.content).toBe("three");
        page.dispatchEvent(new Event("pagehide"));
        await first;
        stopWatching();
        expect(chat(a).messages.at(-1)).toMatchObject({content: "one", error: INTERRUPTED});
        expect(useChatStream.getState().answers).toEqual({});
    });

    it("keeps what streamed, marked interrupted, when the page goes away mid-answer; the answer can then be regenerated", async () => {
        const page = new EventTarget();
        const stop = keepPartialOnPageHide(page as unknown as Window);
        const sending = useChatStream.getState().send("q");
        backend.delta("Once there");
        expect(localStorage.getItem(answeringEntryKey(THIS_TAB, active().id))).not.toBeNull();
        page.dispatchEvent(new Event("pagehide"));
        // The other tabs (and this page, reloaded) are told at once: the page may be gone before the answer's end runs.
        expect(answeringInThisBrowser(active().id)).toBe(false);
        await sending;
        stop();
        expect(active().messages.map((m) => [m.content, m.error])).toEqual([
            ["q", undefined],
            ["Once there", INTERRUPTED]
        ]);
        expect(JSON.parse(localStorage.getItem(CONVERSATIONS_STORAGE)!).state.conversations[0].messages).toHaveLength(2);
        expect(answerShown()).toBeNull();
        const regen = useChatStream.getState().regenerate(active().id);
        backend.delta("whole");
        backend.complete();
        await regen;
        expect(active().messages.map((m) => m.content)).toEqual(["q", "whole"]);
        expect(active().messages[1]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["Once there"]]);
    });

    it("keeps a regenerated answer cut by the page going away as a new version, the old one kept", async () => {
        const page = new EventTarget();
        const stop = keepPartialOnPageHide(page as unknown as Window);
        const sending = useChatStream.getState().send("q");
        backend.complete({content: "first"});
        await sending;
        const regen = useChatStream.getState().regenerate(active().id);
        backend.delta("sec");
        page.dispatchEvent(new Event("pagehide"));
        await regen;
        stop();
        expect(active().messages.map((m) => [m.content, m.error])).toEqual([
            ["q", undefined],
            ["sec", INTERRUPTED]
        ]);
        expect(active().messages[1]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["first"]]);
    });

    it("answers a last question left without an answer", async () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        const answering = useChatStream.getState().regenerate(id);
        backend.delta("a");
        backend.complete();
        await answering;
        expect(active().messages.map((m) => m.content)).toEqual(["q", "a"]);
        expect(backend.requests[0]!.messages).toEqual([{role: "user", content: "q"}]);
    });

    it("records errors on the answer and asks for a key on 401", async () => {
        const sending = useChatStream.getState().send("q");
        backend.delta("par");
        backend.fail(new ApiError("Invalid API key", 401));
        await sending;
        expect(active().messages[1]).toMatchObject({content: "par", error: "Invalid API key"});
        expect(useConnection.getState().status).toBe("unauthorized");
        expect(toChatMessages(active()).map((m) => m.content)).toEqual(["q", "par"]);
    });

    it("leaves failed empty answers out of the next request", async () => {
        const sending = useChatStream.getState().send("q");
        backend.fail(new Error("boom"));
        await sending;
        expect(toChatMessages(active())).toEqual([{role: "user", content: "q"}]);
        await vi.waitFor(() => expect(answerShown()).toBeNull());
    });
    it("keeps the answer after its question, in its version, when another tab shows another version meanwhile", async () => {
        const id = useConversations.getState().create();
        const conversation = () => useConversations.getState().conversations.find((c) => c.id === id)!;
        const first = useChatStream.getState().send("Lily went out");
        backend.complete({content: "She saw a dog."});
        await first;
        const edit = useChatStream.getState().editAndResend(id, conversation().messages[0]!.id, "Tom went out");
        backend.delta("He saw");
        // Another tab of this browser shows the first version again; this tab takes its copy in.
        const there = {...conversation(), messages: showVersion(conversation().messages, 0, 0), updatedAt: conversation().updatedAt + 1};
        takeChatsFromOtherTab(JSON.stringify({state: {conversations: [there]}}));
        expect(conversation().messages.map((m) => m.content)).toEqual(["Lily went out", "She saw a dog."]);
        backend.complete({content: "He saw a cat."});
        await edit;
        // The first version stays as it was, and shown; the edited question has its answer.
        expect(conversation().messages.map((m) => m.content)).toEqual(["Lily went out", "She saw a dog."]);
        expect(conversation().messages[0]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["Tom went out", "He saw a cat."]]);
        expect(backend.adminFake.count("saveConversation")).toBeGreaterThan(0);
    });

    it("asks nothing in a chat another tab of this browser is answering", async () => {
        const id = useConversations.getState().create();
        const question = useConversations.getState().addMessage(id, {role: "user", content: "q"});
        localStorage.setItem(answeringEntryKey("another-tab", id), String(Date.now()));
        await useChatStream.getState().send("another question");
        await useChatStream.getState().regenerate(id);
        await useChatStream.getState().editAndResend(id, question.id, "edited");
        expect(backend.requests).toHaveLength(0);
        expect(active().messages.map((m) => m.content)).toEqual(["q"]);
        // That tab is done: this one may ask.
        localStorage.removeItem(answeringEntryKey("another-tab", id));
        const answering = useChatStream.getState().regenerate(id);
        backend.complete({content: "a"});
        await answering;
        expect(active().messages.map((m) => m.content)).toEqual(["q", "a"]);
    });
});
