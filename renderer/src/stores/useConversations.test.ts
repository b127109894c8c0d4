import {beforeEach, describe, expect, it, vi} from "vitest";
import type {FakeBackend} from "../testing/fakes.js";
import {freshConversations} from "./conversationsTestState.js";
import {TAB_ACTIVE_CHAT_STORAGE} from "./conversationsStorage.js";
import {CONVERSATIONS_STORAGE, flushConversationSaves, selectActiveConversation, titleFrom, useConversations} from "./useConversations.js";
import {useLocalCopy} from "./useLocalCopy.js";

const state = () => useConversations.getState();

describe("useConversations: the chats of this page", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = freshConversations();
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

    it("a continued answer keeps its chat's place, as a reload lists it (by the last message); a question moves it up", () => {
        // Each message a second after the one before (the same millisecond would tie).
        let now = Date.UTC(2026, 0, 1);
        const clock = vi.spyOn(Date, "now").mockImplementation(() => (now += 1000));
        try {
            const older = state().create();
            const question = state().addMessage(older, {role: "user", content: "An owl"});
            const answer = state().addAnswer(older, question.id, {role: "assistant", content: "The owl"});
            const newer = state().create();
            state().addMessage(newer, {role: "user", content: "A badger"});
            state().rewriteAnswer(older, question.id, answer.id, {role: "assistant", content: "The owl flew home."});
            expect(state().conversations.map((c) => c.id)).toEqual([newer, older]);
            expect(state().conversations[1]!.messages[1]!.content).toBe("The owl flew home.");
            state().addMessage(older, {role: "user", content: "And then?"});
            expect(state().conversations.map((c) => c.id)).toEqual([older, newer]);
        } finally {
            clock.mockRestore();
        }
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

    it("opens each tab, after a reload, on the chat it showed, not on the one another tab opened since; a new tab on the last one shown", async () => {
        sessionStorage.clear();
        const mine = state().create();
        state().addMessage(mine, {role: "user", content: "mine"});
        const theirs = state().create();
        state().addMessage(theirs, {role: "user", content: "theirs"});
        state().select(mine);
        expect(sessionStorage.getItem(TAB_ACTIVE_CHAT_STORAGE)).toBe(mine);
        // Another tab (its own tab storage, the same shared one) opens the other chat, and writes the shared state.
        const stored = JSON.parse(localStorage.getItem(CONVERSATIONS_STORAGE)!) as {state: {activeId: string}};
        const shared = JSON.stringify({...stored, state: {...stored.state, activeId: theirs}});
        /** A page of this tab (`tab`: what its tab storage holds) reads the stored state, as it does when it opens. */
        const reload = async (tab: string | null): Promise<string | null> => {
            useConversations.setState({conversations: [], activeId: null});
            localStorage.setItem(CONVERSATIONS_STORAGE, shared);
            if (tab === null) sessionStorage.removeItem(TAB_ACTIVE_CHAT_STORAGE);
            else sessionStorage.setItem(TAB_ACTIVE_CHAT_STORAGE, tab);
            await useConversations.persist.rehydrate();
            return state().activeId;
        };

        // This tab is reloaded: its chat again.
        expect(await reload(mine)).toBe(mine);
        expect(state().conversations).toHaveLength(2);
        // A new tab (nothing in its tab storage) opens the chat the tabs showed last.
        expect(await reload(null)).toBe(theirs);
        // A tab whose chat is gone from the stored ones (deleted in another tab) starts on none: a new chat, not another tab's.
        expect(await reload("deleted-elsewhere")).toBeNull();
        sessionStorage.clear();
    });

    it("starts a chat of its own where another tab's empty chat is the one shown last, and lists only its own empty chats", async () => {
        sessionStorage.clear();
        // Another tab pressed New chat: its empty chat is in the shared storage, shown last.
        const theirs = state().create();
        const shared = localStorage.getItem(CONVERSATIONS_STORAGE)!;
        // This tab opens (its own tab storage is empty) on the shared state.
        sessionStorage.clear();
        useConversations.setState({conversations: [], activeId: null});
        localStorage.setItem(CONVERSATIONS_STORAGE, shared);
        await useConversations.persist.rehydrate();
        expect(state().activeId).toBeNull();
        // The other tab's empty chat is not listed here (a closed tab's would stay forever), and New chat is a chat of
        // this tab's own (two first questions would land in one chat)...
        expect(state().conversations.map((c) => c.id)).not.toContain(theirs);
        const mine = state().create();
        expect(mine).not.toBe(theirs);
        expect(state().conversations.map((c) => c.id)).toEqual([mine]);
        // ...which it reuses, as before, even after a reload of the tab.
        expect(state().create()).toBe(mine);
        const before = localStorage.getItem(CONVERSATIONS_STORAGE)!;
        useConversations.setState({conversations: [], activeId: null});
        localStorage.setItem(CONVERSATIONS_STORAGE, before);
        await useConversations.persist.rehydrate();
        expect(state().create()).toBe(mine);
        sessionStorage.clear();
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
});
