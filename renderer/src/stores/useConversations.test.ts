import {beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {FakeBackend} from "../testing/fakes.js";
import {
    CONVERSATIONS_STORAGE,
    flushConversationSaves,
    followOtherTabs,
    fromRecord,
    selectActiveConversation,
    takeChatsFromOtherTab,
    titleFrom,
    toRecord,
    useConversations
} from "./useConversations.js";
import {ANSWERING_STORAGE} from "./answeringElsewhere.js";
import {useLocalCopy} from "./useLocalCopy.js";

const state = () => useConversations.getState();

describe("useConversations", () => {
    beforeEach(() => {
        localStorage.clear();
        // Saves go to a fake server (never the network).
        setBackend(new FakeBackend());
        useConversations.setState({
            conversations: [],
            activeId: null,
            syncError: null,
            conflictNotice: null,
            removedIds: [],
            removedAt: {},
            restoredIds: [],
            recentlyRemoved: null
        });
    });

    it("creates a chat with default params and selects it; reuses an empty active chat", () => {
        const id = state().create();
        expect(state().activeId).toBe(id);
        expect(selectActiveConversation(state())).toMatchObject({title: "New chat", systemPrompt: "", params: {temperature: 0.7, max_tokens: 256}});
        expect(state().create()).toBe(id);
        expect(state().conversations).toHaveLength(1);
    });

    it("titles a chat from its first user message and moves it to the top", () => {
        const first = state().create();
        state().addMessage(first, {role: "user", content: "  Once upon\n a time  "});
        const second = state().create();
        expect(second).not.toBe(first);
        state().addMessage(first, {role: "assistant", content: "there was"});
        expect(state().conversations.map((c) => c.id)).toEqual([first, second]);
        expect(state().conversations[0]!.title).toBe("Once upon a time");
        expect(state().conversations[0]!.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    });

    it("shortens long titles", () => {
        expect(titleFrom("x".repeat(100))).toHaveLength(48);
        expect(titleFrom("   ")).toBe("New chat");
    });

    it("deletes a chat and selects the next one", () => {
        const a = state().create();
        state().addMessage(a, {role: "user", content: "a"});
        const b = state().create();
        state().remove(b);
        expect(state().activeId).toBe(a);
        state().remove(a);
        expect(state().activeId).toBeNull();
        expect(state().conversations).toEqual([]);
    });

    it("starts a new version from a message, keeping the old one, and switches between them without moving the chat up", () => {
        const id = state().create();
        state().addMessage(id, {role: "user", content: "q"});
        const answer = state().addMessage(id, {role: "assistant", content: "a"});
        const again = state().addVersion(id, answer.id, {role: "assistant", content: "a2"});
        const shown = () => state().conversations.find((c) => c.id === id)!;
        expect(shown().messages.map((m) => m.content)).toEqual(["q", "a2"]);
        expect(shown().messages[1]).toMatchObject({id: again.id, alternativeIndex: 1, alternatives: [[{id: answer.id, content: "a"}]]});

        const other = state().create();
        state().addMessage(other, {role: "user", content: "another chat"});
        const before = shown().updatedAt;
        state().showVersion(id, again.id, 0);
        expect(shown().messages.map((m) => m.content)).toEqual(["q", "a"]);
        expect(shown().messages[1]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["a2"]]);
        expect(shown().updatedAt).toBeGreaterThan(before);
        expect(state().conversations[0]!.id).toBe(other);
        // A message no longer shown: the answer is not lost, it goes at the end.
        state().addVersion(id, again.id, {role: "assistant", content: "late"});
        expect(shown().messages.map((m) => m.content)).toEqual(["q", "a", "late"]);
    });

    it("keeps a system prompt and params per chat", () => {
        const id = state().create();
        state().setSystemPrompt(id, "Be brief.");
        state().setParams(id, {max_tokens: 1000});
        state().setParams(id, {temperature: undefined});
        expect(selectActiveConversation(state())).toMatchObject({systemPrompt: "Be brief.", params: {max_tokens: 1000, temperature: undefined}});
    });

    it("persists chats to localStorage and restores them", async () => {
        const id = state().create();
        state().addMessage(id, {role: "user", content: "remember me"});
        const saved = JSON.parse(localStorage.getItem(CONVERSATIONS_STORAGE)!) as {state: {activeId: string; conversations: Array<{title: string}>}};
        expect(saved.state.activeId).toBe(id);
        expect(saved.state.conversations[0]!.title).toBe("remember me");

        const snapshot = localStorage.getItem(CONVERSATIONS_STORAGE)!;
        useConversations.setState({conversations: [], activeId: null});
        localStorage.setItem(CONVERSATIONS_STORAGE, snapshot);
        await useConversations.persist.rehydrate();
        expect(state().activeId).toBe(id);
        expect(state().conversations[0]!.messages[0]!.content).toBe("remember me");
    });

    describe("with the server's database", () => {
        let backend: FakeBackend;
        beforeEach(() => {
            backend = new FakeBackend();
            setBackend(backend);
        });

        it("saves a chat once it has messages, and deletes it there too", async () => {
            const id = state().create("Nurse");
            await flushConversationSaves();
            expect(backend.adminFake.count("saveConversation")).toBe(0);
            state().addMessage(id, {role: "user", content: "Lily"});
            state().addMessage(id, {
                role: "assistant",
                content: "ran",
                hit: {mode: "none", prompt_tokens: 3, reused_tokens: 0, computed_tokens: 3, recomputed_tokens: 0}
            });
            await flushConversationSaves();
            const saved = backend.adminFake.conversations.get(id)!;
            expect(saved.profile).toBe("Nurse");
            expect(saved.messages.map((m) => m.content)).toEqual(["Lily", "ran"]);
            expect(saved.messages[1]!.hit?.mode).toBe("none");
            state().setSystemPrompt(id, "Be brief");
            await flushConversationSaves();
            expect(backend.adminFake.conversations.get(id)!.systemPrompt).toBe("Be brief");
            state().remove(id);
            await flushConversationSaves();
            await Promise.resolve();
            expect(backend.adminFake.conversations.has(id)).toBe(false);
        });

        it("loads chats from the server after a reload, keeping unsaved local ones and dropping empty ones", async () => {
            const remote = {
                id: "r1",
                title: "Remote",
                profile: "Student",
                systemPrompt: "",
                params: {},
                createdAt: 1,
                updatedAt: 5,
                messages: [{id: "m1", role: "user" as const, content: "hi", createdAt: 1}]
            };
            backend.adminFake.conversations.set("r1", remote);
            state().create("Guest");
            const local = fromRecord({...remote, id: "l1", title: "Local", profile: "Guest", updatedAt: 10});
            useConversations.setState((s) => ({conversations: [...s.conversations, local]}));
            await state().load();
            const blank = state().activeId;
            expect(state().conversations.map((c) => c.id)).toEqual([blank, "l1", "r1"]);
            expect(state().loaded).toBe(true);
            await flushConversationSaves();
            expect(backend.adminFake.conversations.has("l1")).toBe(true);
            state().showProfile("Student");
            expect(state().activeId).toBe("r1");
            state().showProfile("Teacher");
            expect(selectActiveConversation(state())?.profile).toBe("Teacher");
            expect(toRecord(fromRecord(remote))).toEqual({...remote, params: {temperature: 0.7, max_tokens: 256}});
        });

        it("keeps what changed here while the server's list was on its way: a new answer stays, a deleted chat stays gone", async () => {
            const asked = state().create("Guest");
            state().addMessage(asked, {role: "user", content: "too long"});
            const other = state().create("Nurse");
            state().addMessage(other, {role: "user", content: "bye"});
            await flushConversationSaves();
            // The list is read now, but answered only after the page has moved on.
            const answerList = backend.holdAnswers("listConversations");
            const loading = state().load();
            await Promise.resolve();
            state().addMessage(asked, {role: "assistant", content: "", error: "the prompt is longer than the context"});
            state().remove(other);
            answerList();
            await loading;
            expect(state().conversations.map((c) => c.id)).toEqual([asked]);
            expect(state().conversations[0]!.messages.map((m) => m.error ?? m.content)).toEqual(["too long", "the prompt is longer than the context"]);
            await flushConversationSaves();
            await Promise.resolve();
            expect(backend.adminFake.conversations.get(asked)!.messages).toHaveLength(2);
            expect(backend.adminFake.conversations.has(other)).toBe(false);
        });

        it("takes the server's copy of a chat saved there later (another window)", async () => {
            const id = state().create("Guest");
            state().addMessage(id, {role: "user", content: "here"});
            await flushConversationSaves();
            const saved = backend.adminFake.conversations.get(id)!;
            backend.adminFake.conversations.set(id, {
                ...saved,
                updatedAt: saved.updatedAt + 1000,
                messages: [...saved.messages, {id: "m-elsewhere", role: "assistant", content: "from elsewhere", createdAt: saved.updatedAt + 1000}]
            });
            await state().load();
            expect(selectActiveConversation(state())!.messages.map((m) => m.content)).toEqual(["here", "from elsewhere"]);
        });

        it("sends a settings change made just before a reload (the server's list is older than the chat here)", async () => {
            const backend = new FakeBackend();
            setBackend(backend);
            const id = state().create("Guest");
            state().addMessage(id, {role: "user", content: "hi"});
            await flushConversationSaves();
            const order = state().conversations.map((c) => c.id);
            state().setParams(id, {max_tokens: 77});
            state().setSystemPrompt(id, "You are a pirate.");
            // The page reloads before the debounced save: the next page starts from the list and this page's copy.
            await state().load();
            await new Promise((resolve) => setTimeout(resolve, 0));
            expect(backend.adminFake.conversations.get(id)).toMatchObject({systemPrompt: "You are a pirate.", params: {max_tokens: 77}});
            expect(state().conversations.map((c) => c.id)).toEqual(order);
        });

        it("takes in what another tab of this browser changed, so its next save does not drop it", async () => {
            const backend = new FakeBackend();
            setBackend(backend);
            const shared = state().create("Guest");
            state().addMessage(shared, {role: "user", content: "first"});
            const gone = state().create("Nurse");
            state().addMessage(gone, {role: "user", content: "deleted here"});
            state().remove(gone);
            const here = structuredClone(state().conversations);
            // The other tab added a turn to the shared chat and started a chat of its own.
            const sharedThere = {...here.find((c) => c.id === shared)!, updatedAt: Date.now() + 5000};
            sharedThere.messages = [...sharedThere.messages, {id: "a1", role: "assistant" as const, content: "answer from the other tab", createdAt: 2}];
            const theirsOnly = {...sharedThere, id: "other-tab-chat", title: "Theirs", updatedAt: Date.now() + 6000};
            const stale = {...sharedThere, id: gone, updatedAt: Date.now() + 7000};
            const storage = new EventTarget();
            const stop = followOtherTabs(storage as unknown as Window);
            const event = new Event("storage") as StorageEvent;
            Object.assign(event, {
                key: CONVERSATIONS_STORAGE,
                newValue: JSON.stringify({state: {conversations: [sharedThere, theirsOnly, stale], activeId: "x"}})
            });
            storage.dispatchEvent(event);
            stop();
            expect(state().conversations.map((c) => c.id)).toEqual(["other-tab-chat", shared]);
            // A chat deleted there goes here too, and this tab's next writes carry the deletion on.
            takeChatsFromOtherTab(
                JSON.stringify({state: {conversations: state().conversations.filter((c) => c.id !== "other-tab-chat"), removedIds: ["other-tab-chat"]}})
            );
            expect(state().conversations.map((c) => c.id)).toEqual([shared]);
            expect(JSON.parse(localStorage.getItem(CONVERSATIONS_STORAGE)!).state.removedIds).toEqual([gone, "other-tab-chat"]);
            // …and a reload of a page whose storage still held it does not send it back to the server.
            useConversations.setState({conversations: [...state().conversations, theirsOnly]});
            await state().load();
            expect(state().conversations.map((c) => c.id)).toEqual([shared]);
            expect(state().activeId).not.toBe("x");
            // An older copy from the other tab changes nothing.
            takeChatsFromOtherTab(JSON.stringify({state: {conversations: [{...sharedThere, updatedAt: 1, messages: []}]}}));
            takeChatsFromOtherTab("not json");
            state().addMessage(shared, {role: "user", content: "from this tab"});
            await flushConversationSaves();
            expect(backend.adminFake.conversations.get(shared)!.messages.map((m) => m.content)).toEqual([
                "first",
                "answer from the other tab",
                "from this tab"
            ]);
        });

        it("keeps both versions of a chat another browser changed meanwhile: this window's becomes a chat of its own", async () => {
            const id = state().create("Guest");
            state().addMessage(id, {role: "user", content: "q"});
            await flushConversationSaves();
            const saved = backend.adminFake.conversations.get(id)!;
            expect(state().conversations[0]!.syncedAt).toBe(saved.updatedAt);
            // Another browser answered the question and saved.
            const theirs = {
                ...saved,
                updatedAt: saved.updatedAt + 1000,
                messages: [...saved.messages, {id: "theirs", role: "assistant" as const, content: "their answer", createdAt: saved.updatedAt + 900}]
            };
            backend.adminFake.conversations.set(id, theirs);
            // While an answer streams into the chat in this browser, nothing is moved under it.
            localStorage.setItem(ANSWERING_STORAGE, JSON.stringify({[id]: Date.now()}));
            state().addMessage(id, {role: "assistant", content: "my answer"});
            await flushConversationSaves();
            expect(state().conversations.map((c) => c.id)).toEqual([id]);
            localStorage.removeItem(ANSWERING_STORAGE);

            state().addMessage(id, {role: "user", content: "my next question"});
            await flushConversationSaves();
            await flushConversationSaves();
            const [copy, original] = state().conversations;
            expect(original!.id).toBe(id);
            expect(original!.messages.map((m) => m.content)).toEqual(["q", "their answer"]);
            expect(copy!.title).toBe("q (this window's copy)");
            expect(copy!.messages.map((m) => m.content)).toEqual(["q", "my answer", "my next question"]);
            expect(state().activeId).toBe(copy!.id);
            expect(state().conflictNotice).toContain("changed in another window");
            expect(backend.adminFake.conversations.get(copy!.id)!.messages).toHaveLength(3);
            expect(backend.adminFake.conversations.get(id)).toEqual(theirs);

            // A copy holding nothing the stored one lacks just takes the stored one.
            const later = {
                ...theirs,
                updatedAt: theirs.updatedAt + 1000,
                messages: [...theirs.messages, {id: "x", role: "user" as const, content: "x", createdAt: 1}]
            };
            backend.adminFake.conversations.set(id, later);
            state().setSystemPrompt(id, "Be brief");
            await flushConversationSaves();
            expect(
                state()
                    .conversations.find((c) => c.id === id)!
                    .messages.map((m) => m.id)
            ).toEqual(later.messages.map((m) => m.id));
            expect(state().conversations).toHaveLength(2);
            state().dismissConflictNotice();
            expect(state().conflictNotice).toBeNull();
        });

        it("keeps a version made while the server was down, though another browser saved the chat since", async () => {
            const id = state().create();
            const question = state().addMessage(id, {role: "user", content: "q"});
            state().addMessage(id, {role: "assistant", content: "a"});
            await flushConversationSaves();
            const stored = backend.adminFake.conversations.get(id)!;
            // The server stops; this window edits the question (the save fails) and is closed.
            backend.adminFake.failing.set("saveConversation", new Error("Failed to fetch"));
            state().addVersion(id, question.id, {role: "user", content: "my edit"});
            await flushConversationSaves();
            backend.adminFake.failing.clear();
            // The server is back; another browser adds a message, saved later than the edit here.
            const theirs = {
                ...stored,
                updatedAt: Date.now() + 5000,
                messages: [...stored.messages, {id: "theirs", role: "user" as const, content: "their question", createdAt: 3}]
            };
            backend.adminFake.conversations.set(id, theirs);
            // This window opens again: neither copy is lost.
            await state().load();
            await flushConversationSaves();
            const original = state().conversations.find((c) => c.id === id)!;
            expect(original.messages.map((m) => m.content)).toEqual(["q", "a", "their question"]);
            const copy = state().conversations.find((c) => c.id !== id)!;
            expect(copy.title).toBe("my edit (this window's copy)");
            expect(copy.messages.map((m) => m.content)).toEqual(["my edit"]);
            expect(copy.messages[0]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["q", "a"]]);
            expect(state().conflictNotice).toContain("changed in another window");
            expect(backend.adminFake.conversations.get(copy.id)!.messages.map((m) => m.content)).toEqual(["my edit"]);
            expect(backend.adminFake.conversations.get(id)).toEqual(theirs);
        });

        it("saves again a copy made while the server was down that holds every stored message, though saved there later", async () => {
            const id = state().create();
            const question = state().addMessage(id, {role: "user", content: "q"});
            await flushConversationSaves();
            const stored = backend.adminFake.conversations.get(id)!;
            backend.adminFake.failing.set("saveConversation", new Error("Failed to fetch"));
            state().addVersion(id, question.id, {role: "user", content: "my edit"});
            await flushConversationSaves();
            backend.adminFake.failing.clear();
            // Another browser only renamed it meanwhile.
            backend.adminFake.conversations.set(id, {...stored, title: "Named", updatedAt: Date.now() + 5000});
            await state().load();
            await flushConversationSaves();
            expect(state().conversations).toHaveLength(1);
            expect(state().conflictNotice).toBeNull();
            const saved = backend.adminFake.conversations.get(id)!;
            expect(saved.messages.map((m) => m.content)).toEqual(["my edit"]);
            expect(saved.messages[0]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["q"]]);
            expect(saved.updatedAt).toBeGreaterThan(stored.updatedAt);
        });

        it("saves the versions of a chat and reads them back; a switch from a window that is up to date is saved", async () => {
            const id = state().create();
            const question = state().addMessage(id, {role: "user", content: "q"});
            state().addMessage(id, {role: "assistant", content: "a"});
            const edited = state().addVersion(id, question.id, {role: "user", content: "q2"});
            state().addMessage(id, {role: "assistant", content: "a2"});
            await flushConversationSaves();
            const saved = () => backend.adminFake.conversations.get(id)!;
            expect(saved().messages.map((m) => m.content)).toEqual(["q2", "a2"]);
            expect(saved().messages[0]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["q", "a"]]);

            state().showVersion(id, edited.id, 0);
            await flushConversationSaves();
            expect(state().syncError).toBeNull();
            expect(state().conflictNotice).toBeNull();
            expect(saved().messages.map((m) => m.content)).toEqual(["q", "a"]);
            expect(saved().messages[0]).toMatchObject({alternativeIndex: 0, alternatives: [[{content: "q2"}, {content: "a2"}]]});

            // Another page reads it from the server: both versions, the same one shown.
            useConversations.setState({conversations: [], activeId: null});
            await state().load();
            const loaded = state().conversations.find((c) => c.id === id)!;
            expect(loaded.messages.map((m) => m.content)).toEqual(["q", "a"]);
            expect(loaded.messages[0]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["q2", "a2"]]);
            expect(toRecord(loaded)).toEqual(saved());
        });

        it("a window behind another cannot drop the version the other one made; its own is kept as a copy", async () => {
            const id = state().create();
            const question = state().addMessage(id, {role: "user", content: "q"});
            state().addMessage(id, {role: "assistant", content: "a"});
            await flushConversationSaves();
            // Another browser edits the question and saves: the stored chat now has two versions.
            const stored = backend.adminFake.conversations.get(id)!;
            const theirs = {
                ...stored,
                updatedAt: stored.updatedAt + 1000,
                messages: [{id: "q-theirs", role: "user" as const, content: "their edit", createdAt: 2, alternatives: [stored.messages], alternativeIndex: 1}]
            };
            backend.adminFake.conversations.set(id, theirs);
            // This window, behind, edits the same question its own way.
            state().addVersion(id, question.id, {role: "user", content: "my edit"});
            await flushConversationSaves();
            expect(backend.adminFake.conversations.get(id)).toEqual(theirs);
            const copy = state().conversations.find((c) => c.id !== id)!;
            expect(copy.messages.map((m) => m.content)).toEqual(["my edit"]);
            expect(copy.messages[0]!.alternatives!.map((v) => v.map((m) => m.content))).toEqual([["q", "a"]]);
            expect(state().conflictNotice).toContain("changed in another window");

            // A window behind that holds every stored message (it only shows another version) is not refused.
            const original = state().conversations.find((c) => c.id === id)!;
            useConversations.setState({conversations: state().conversations.map((c) => (c.id === id ? {...c, syncedAt: 1} : c))});
            state().showVersion(id, original.messages[0]!.id, 0);
            await flushConversationSaves();
            expect(backend.adminFake.conversations.get(id)!.messages.map((m) => m.content)).toEqual(["q", "a"]);
            expect(state().conversations).toHaveLength(2);
        });

        it("undoes a deletion: the chat comes back, opened again, and saved on the server again", async () => {
            const id = state().create();
            state().addMessage(id, {role: "user", content: "Lily"});
            state().addMessage(id, {role: "assistant", content: "ran"});
            await flushConversationSaves();
            state().remove(id);
            await flushConversationSaves();
            expect(backend.adminFake.conversations.has(id)).toBe(false);
            expect(state().recentlyRemoved?.conversation.id).toBe(id);

            state().undoRemove();
            expect(state().activeId).toBe(id);
            expect(state().removedIds).not.toContain(id);
            expect(state().recentlyRemoved).toBeNull();
            await flushConversationSaves();
            expect(backend.adminFake.conversations.get(id)!.messages.map((m) => m.content)).toEqual(["Lily", "ran"]);
        });

        it("undone at once, while the deletion is on its way, the chat is still on the server afterwards", async () => {
            const id = state().create();
            state().addMessage(id, {role: "user", content: "Lily"});
            await flushConversationSaves();
            const release = backend.holdAnswers("deleteConversation");
            state().remove(id);
            state().undoRemove();
            release();
            await flushConversationSaves();
            expect(backend.adminFake.conversations.get(id)!.messages.map((m) => m.content)).toEqual(["Lily"]);
        });

        it("a deletion undone in another tab is undone here too; a tab's old copy brings nothing back", () => {
            const id = state().create();
            state().addMessage(id, {role: "user", content: "Lily"});
            const chat = structuredClone(selectActiveConversation(state())!);
            state().remove(id);
            // Another tab, which never saw the deletion, writes its old copy: the chat stays deleted.
            takeChatsFromOtherTab(JSON.stringify({state: {conversations: [chat], removedIds: []}}));
            expect(state().conversations).toEqual([]);
            // The tab that undid the deletion marks the chat brought back.
            takeChatsFromOtherTab(JSON.stringify({state: {conversations: [chat], removedIds: [], restoredIds: [id]}}));
            expect(state().conversations.map((c) => c.id)).toEqual([id]);
            expect(state().removedIds).not.toContain(id);
            expect(JSON.parse(localStorage.getItem(CONVERSATIONS_STORAGE)!).state.restoredIds).toEqual([id]);
            // Deleted again (there): gone again here.
            takeChatsFromOtherTab(JSON.stringify({state: {conversations: [], removedIds: [id], restoredIds: []}}));
            expect(state().conversations).toEqual([]);
            expect(state().restoredIds).toEqual([]);
        });

        it("renames a chat and saves the name; a chat named so keeps it when its first question is edited", async () => {
            const named = state().create();
            state().addMessage(named, {role: "user", content: "Once upon a time"});
            state().rename(named, "  The   fox story ");
            state().rename(named, "   ");
            expect(selectActiveConversation(state())!.title).toBe("The fox story");
            await flushConversationSaves();
            expect(backend.adminFake.conversations.get(named)!.title).toBe("The fox story");
            const first = selectActiveConversation(state())!.messages[0]!;
            state().addVersion(named, first.id, {role: "user", content: "Twice upon a time"});
            expect(selectActiveConversation(state())!.title).toBe("The fox story");

            // A title taken from the first question follows an edit of it.
            const auto = state().create();
            state().addMessage(auto, {role: "user", content: "Once upon a time"});
            state().addVersion(auto, selectActiveConversation(state())!.messages[0]!.id, {role: "user", content: "Twice upon a time"});
            expect(selectActiveConversation(state())!.title).toBe("Twice upon a time");
            await flushConversationSaves();
        });

        it("keeps working when this browser's storage is full, and says the local copy is not kept", async () => {
            const setItem = vi.spyOn(localStorage, "setItem").mockImplementation(() => {
                throw new DOMException("Failed to execute 'setItem' on 'Storage': exceeded the quota.", "QuotaExceededError");
            });
            try {
                const id = state().create();
                expect(() => state().addMessage(id, {role: "user", content: "a very long paste"})).not.toThrow();
                expect(selectActiveConversation(state())!.messages.map((m) => m.content)).toEqual(["a very long paste"]);
                expect(useLocalCopy.getState().error).toMatch(/exceeded the quota/);
                await flushConversationSaves();
                expect(backend.adminFake.conversations.get(id)!.messages).toHaveLength(1);
            } finally {
                setItem.mockRestore();
            }
            // Room again: the copy is kept, and the notice goes.
            state().create();
            expect(useLocalCopy.getState().error).toBeNull();
            expect(JSON.parse(localStorage.getItem(CONVERSATIONS_STORAGE)!).state.conversations).toHaveLength(2);
        });

        it("shows again a chat deleted here that another browser wrote to since; a list from before the deletion does not bring it back", async () => {
            const id = state().create("Guest");
            state().addMessage(id, {role: "user", content: "q"});
            await flushConversationSaves();
            const saved = structuredClone(backend.adminFake.conversations.get(id)!);
            state().remove(id);
            await flushConversationSaves();
            // A server list sent before the deletion landed still holds the chat as it was: it stays deleted here.
            backend.adminFake.conversations.set(id, saved);
            await state().load();
            expect(state().conversations.map((c) => c.id)).not.toContain(id);
            // Another browser, still showing it, wrote to it: the server has it again, changed since the deletion.
            backend.adminFake.conversations.set(id, {
                ...saved,
                updatedAt: saved.updatedAt + 1000,
                messages: [
                    ...saved.messages,
                    {id: "b", role: "user" as const, content: "written elsewhere after the delete", createdAt: saved.updatedAt + 1000}
                ]
            });
            await state().load();
            expect(
                state()
                    .conversations.find((c) => c.id === id)
                    ?.messages.map((m) => m.content)
            ).toEqual(["q", "written elsewhere after the delete"]);
        });

        it("notes when the server cannot save", async () => {
            backend.adminFake.failing.set("saveConversation", new Error("disk full"));
            const id = state().create();
            state().addMessage(id, {role: "user", content: "x"});
            await flushConversationSaves();
            expect(state().syncError).toBe("disk full");
        });
    });
});
