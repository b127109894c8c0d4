import {beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {FakeBackend} from "../testing/fakes.js";
import {freshConversations} from "./conversationsTestState.js";
import {
    CONVERSATIONS_STORAGE,
    flushConversationSaves,
    followOtherTabs,
    selectActiveConversation,
    takeChatsFromOtherTab,
    useConversations
} from "./useConversations.js";

const state = () => useConversations.getState();

describe("useConversations in two tabs of one browser", () => {
    beforeEach(() => {
        freshConversations();
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
        expect(backend.adminFake.conversations.get(shared)!.messages.map((m) => m.content)).toEqual(["first", "answer from the other tab", "from this tab"]);
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
});
