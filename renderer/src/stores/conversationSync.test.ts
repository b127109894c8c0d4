import {beforeEach, describe, expect, it} from "vitest";
import {CONVERSATION_PAGE} from "../../../shared/conversationSearch.js";
import {setBackend} from "../backend/current.js";
import {FakeBackend} from "../testing/fakes.js";
import {THIS_TAB, answeringEntryKey} from "./answeringElsewhere.js";
import {freshConversations} from "./conversationsTestState.js";
import {flushConversationSaves, fromRecord, selectActiveConversation, toRecord, useConversations} from "./useConversations.js";

const state = () => useConversations.getState();

/** `count` chats saved on the server by another browser, one a second from 2026-01-01 (`prefix-000` the oldest). */
async function saveChatsOnServer(backend: FakeBackend, prefix: string, count: number, pinned: (i: number) => boolean = () => false): Promise<void> {
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < count; i++)
        await backend.adminFake.run("saveConversation", {
            id: `${prefix}-${String(i).padStart(3, "0")}`,
            title: `Chat ${i}`,
            profile: "Guest",
            systemPrompt: "",
            params: {},
            createdAt: start + i * 1000,
            updatedAt: start + i * 1000,
            ...(pinned(i) ? {pinned: true} : {}),
            messages: [{id: `q${i}`, role: "user", content: `question ${i}`, createdAt: start + i * 1000}]
        });
}

describe("useConversations with the server's database", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = freshConversations();
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

    it("saves each chat of an import once, though it came while the first list read was on its way", async () => {
        const imported = ["i1", "i2", "i3"].map((id, i) =>
            fromRecord({
                id,
                title: id,
                profile: "Guest",
                systemPrompt: "",
                params: {},
                createdAt: 1,
                updatedAt: 10 + i,
                messages: [{id: `${id}-q`, role: "user", content: id, createdAt: 1}]
            })
        );
        const loading = state().load();
        state().importChats(imported);
        await loading;
        await flushConversationSaves();
        expect([...backend.adminFake.conversations.keys()].sort()).toEqual(["i1", "i2", "i3"]);
        expect(backend.adminFake.count("saveConversation")).toBe(3);
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
        localStorage.setItem(answeringEntryKey(THIS_TAB, id), String(Date.now()));
        state().addMessage(id, {role: "assistant", content: "my answer"});
        await flushConversationSaves();
        expect(state().conversations.map((c) => c.id)).toEqual([id]);
        localStorage.removeItem(answeringEntryKey(THIS_TAB, id));

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
            messages: [...saved.messages, {id: "b", role: "user" as const, content: "written elsewhere after the delete", createdAt: saved.updatedAt + 1000}]
        });
        await state().load();
        expect(
            state()
                .conversations.find((c) => c.id === id)
                ?.messages.map((m) => m.content)
        ).toEqual(["q", "written elsewhere after the delete"]);
    });

    it("on a reload keeps the older chats read before without saving them, and brings back none deleted in another browser", async () => {
        await saveChatsOnServer(backend, "old", CONVERSATION_PAGE + 3);
        await state().load();
        await state().loadOlder();
        expect(state().conversations.filter((c) => c.id.startsWith("old-"))).toHaveLength(CONVERSATION_PAGE + 3);
        const saves = backend.adminFake.count("saveConversation");
        // Another browser deletes an older chat and one the first page holds.
        await backend.adminFake.run("deleteConversation", {id: "old-000"});
        await backend.adminFake.run("deleteConversation", {id: "old-100"});

        // This page is opened again: its stored chats are read back with the server's first page.
        await state().load();
        await flushConversationSaves();
        expect(backend.adminFake.count("saveConversation")).toBe(saves);
        expect(backend.adminFake.conversations.has("old-000")).toBe(false);
        expect(backend.adminFake.conversations.has("old-100")).toBe(false);
        const shown = state().conversations.map((c) => c.id);
        // Older than the page: kept as read (its deletion is found when that page is read again); within it: gone.
        expect(shown).toContain("old-001");
        expect(shown).not.toContain("old-100");
    });

    it("lists a pinned chat older than the first page on the first load, and saves a pin like a name", async () => {
        await saveChatsOnServer(backend, "c", CONVERSATION_PAGE + 2, (i) => i === 0);
        await state().load();
        const shown = state().conversations.map((c) => c.id);
        // The oldest chat, pinned: beyond the first page, read all the same; the one beside it is not.
        expect(shown).toContain("c-000");
        expect(shown).not.toContain("c-001");
        expect(state().olderCursor).not.toBeNull();
        const saves = backend.adminFake.count("saveConversation");
        await flushConversationSaves();
        expect(backend.adminFake.count("saveConversation")).toBe(saves);

        state().setPinned("c-000", false);
        state().setPinned("c-150", true);
        await flushConversationSaves();
        expect(backend.adminFake.conversations.get("c-000")!.pinned).toBeUndefined();
        expect(backend.adminFake.conversations.get("c-150")!.pinned).toBe(true);
    });

    it("notes when the server cannot save", async () => {
        backend.adminFake.failing.set("saveConversation", new Error("disk full"));
        const id = state().create();
        state().addMessage(id, {role: "user", content: "x"});
        await flushConversationSaves();
        expect(state().syncError).toBe("disk full");
    });
});
