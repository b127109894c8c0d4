import {beforeEach, describe, expect, it} from "vitest";
import {CONVERSATIONS_STORAGE, selectActiveConversation, titleFrom, useConversations} from "./useConversations.js";

const state = () => useConversations.getState();

describe("useConversations", () => {
    beforeEach(() => {
        localStorage.clear();
        useConversations.setState({conversations: [], activeId: null});
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

    it("truncates from a message (regenerate)", () => {
        const id = state().create();
        state().addMessage(id, {role: "user", content: "q"});
        const answer = state().addMessage(id, {role: "assistant", content: "a"});
        state().truncateFrom(id, answer.id);
        expect(selectActiveConversation(state())!.messages.map((m) => m.content)).toEqual(["q"]);
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
});
