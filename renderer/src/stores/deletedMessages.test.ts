import {beforeEach, describe, expect, it} from "vitest";
import type {ConversationRecord} from "../../../shared/admin.js";
import type {FakeBackend} from "../testing/fakes.js";
import {CONVERSATIONS_STORAGE} from "./conversationsStorage.js";
import {freshConversations} from "./conversationsTestState.js";
import {flushConversationSaves, fromRecord, takeChatsFromOtherTab, useConversations} from "./useConversations.js";

const state = () => useConversations.getState();
const start = Date.UTC(2026, 0, 1);
const ids = (c: {messages: Array<{id: string}>} | undefined) => c?.messages.map((m) => m.id);
const here = (id: string) => state().conversations.find((c) => c.id === id);

/** A chat of four messages as the server keeps it (saved by another browser). */
const record = (id: string, updatedAt = start + 100): ConversationRecord => ({
    id,
    title: "Clinic hours",
    profile: "Guest",
    systemPrompt: "",
    params: {},
    createdAt: start,
    updatedAt,
    messages: ["q1", "a1", "q2", "a2"].map((m, i) => ({id: m, role: m.startsWith("q") ? "user" : "assistant", content: `text of ${m}`, createdAt: start + i}))
});

describe("deleting a message", () => {
    let backend: FakeBackend;
    beforeEach(async () => {
        backend = freshConversations();
        await backend.adminFake.run("saveConversation", record("c"));
        await state().load();
    });

    it("takes it out here and on the server, which keeps its id as deleted; the chat does not move up the list", async () => {
        const before = here("c")!.updatedAt;
        state().deleteMessage("c", "a1");
        expect(ids(here("c"))).toEqual(["q1", "q2", "a2"]);
        expect(here("c")!.deletedMessageIds).toEqual(["a1"]);
        expect(here("c")!.updatedAt).toBeGreaterThan(before);
        await flushConversationSaves();
        const saved = backend.adminFake.conversations.get("c")!;
        expect(ids(saved)).toEqual(["q1", "q2", "a2"]);
        expect(saved.deletedMessageIds).toEqual(["a1"]);
        // A message not shown (or gone already) changes nothing.
        const now = here("c");
        state().deleteMessage("c", "a1");
        expect(here("c")).toBe(now);
    });

    it("takes in a deletion made in another browser as the list is read again, whichever copy is newer", async () => {
        // This page changed the chat since (a newer copy), and another browser deleted a message meanwhile.
        state().rename("c", "Renamed here");
        await backend.adminFake.run("saveConversation", {
            ...record("c", start + 50),
            messages: record("c").messages.filter((m) => m.id !== "q2"),
            deletedMessageIds: ["q2"],
            baseUpdatedAt: start + 100
        });
        await state().refresh();
        expect(ids(here("c"))).toEqual(["q1", "a1", "a2"]);
        expect(here("c")!.deletedMessageIds).toEqual(["q2"]);
        expect(here("c")!.title).toBe("Renamed here");
    });

    it("drops a message another window deleted when this page's save comes back saying so", async () => {
        // Another browser deletes a1; this page, which never heard, asks a question: its save is taken without a1.
        const theirs = record("c", start + 200);
        await backend.adminFake.run("saveConversation", {
            ...theirs,
            messages: theirs.messages.filter((m) => m.id !== "a1"),
            deletedMessageIds: ["a1"],
            baseUpdatedAt: start + 100
        });
        state().addMessage("c", {role: "user", content: "And on Sundays?"});
        await flushConversationSaves();
        expect(ids(here("c"))).toEqual(["q1", "q2", "a2", expect.any(String)]);
        expect(here("c")!.deletedMessageIds).toEqual(["a1"]);
        expect(ids(backend.adminFake.conversations.get("c"))).toEqual(ids(here("c")));
    });

    it("keeps a deletion whose save has not landed when another browser saved the chat later", async () => {
        // Saved nowhere yet (as with the server down), then another browser's later save is listed.
        useConversations.setState({
            conversations: state().conversations.map((c) =>
                c.id === "c" ? {...c, messages: c.messages.filter((m) => m.id !== "q1"), deletedMessageIds: ["q1"]} : c
            )
        });
        const later = record("c", start + 5_000);
        await backend.adminFake.run("saveConversation", {...later, title: "Renamed there", baseUpdatedAt: start + 100});
        await state().refresh();
        expect(ids(here("c"))).toEqual(["a1", "q2", "a2"]);
        expect(here("c")!.title).toBe("Renamed there");
        await flushConversationSaves();
        expect(ids(backend.adminFake.conversations.get("c"))).toEqual(["a1", "q2", "a2"]);
    });

    it("keeps a chat whose every message was deleted, empty, here and on the server: it is not taken for a blank one", async () => {
        for (const id of ["q1", "a1", "q2", "a2"]) state().deleteMessage("c", id);
        expect(here("c")!.messages).toEqual([]);
        await flushConversationSaves();
        expect(backend.adminFake.conversations.get("c")).toMatchObject({messages: [], deletedMessageIds: ["q1", "a1", "q2", "a2"]});
        // New chat makes a new one rather than taking this one for its page.
        state().select("c");
        const fresh = state().create("Guest");
        expect(fresh).not.toBe("c");
        expect(here("c")).toBeDefined();
        // A reload (of a tab that did not start it) keeps it: it is not a blank chat another tab left behind.
        sessionStorage.clear();
        const snapshot = localStorage.getItem(CONVERSATIONS_STORAGE)!;
        useConversations.setState({conversations: [], activeId: null});
        localStorage.setItem(CONVERSATIONS_STORAGE, snapshot);
        await useConversations.persist.rehydrate();
        expect(here("c")).toMatchObject({messages: [], deletedMessageIds: ["q1", "a1", "q2", "a2"]});
        // Deleted as a chat, it goes from the server too (there is nothing to undo).
        state().remove("c");
        await flushConversationSaves();
        await Promise.resolve();
        expect(backend.adminFake.conversations.has("c")).toBe(false);
    });

    it("keeps this window's deletion in the other window's version when a save is refused and the chats part", async () => {
        // Another browser asks a question; this page, which never heard, deletes a1 and asks one of its own.
        const theirs = record("c", start + 200);
        await backend.adminFake.run("saveConversation", {
            ...theirs,
            messages: [...theirs.messages, {id: "q3", role: "user", content: "theirs", createdAt: start + 150}],
            baseUpdatedAt: start + 100
        });
        state().deleteMessage("c", "a1");
        state().addMessage("c", {role: "user", content: "mine"});
        await flushConversationSaves();
        await flushConversationSaves();
        expect(state().conflictNotice).toMatch(/changed in another window/);
        expect(ids(backend.adminFake.conversations.get("c"))).toEqual(["q1", "q2", "a2", "q3"]);
        expect(ids(here("c"))).toEqual(["q1", "q2", "a2", "q3"]);
        const copy = state().conversations.find((c) => c.title.endsWith("(this window's copy)"))!;
        expect(copy.messages.map((m) => m.content)).toEqual(["text of q1", "text of q2", "text of a2", "mine"]);
    });

    it("stays deleted when another tab's newer copy, read before the deletion, is taken in", () => {
        state().deleteMessage("c", "a2");
        const otherTab = {...fromRecord(record("c")), updatedAt: Date.now() + 60_000};
        takeChatsFromOtherTab(JSON.stringify({state: {conversations: [otherTab], removedIds: []}}));
        expect(here("c")!.updatedAt).toBe(otherTab.updatedAt);
        expect(ids(here("c"))).toEqual(["q1", "a1", "q2"]);
    });

    it("takes in another tab's deletion where this tab's copy is the newer", () => {
        state().rename("c", "Renamed here");
        const otherTab = {...fromRecord(record("c", start)), messages: record("c").messages.filter((m) => m.id !== "q1"), deletedMessageIds: ["q1"]};
        takeChatsFromOtherTab(JSON.stringify({state: {conversations: [otherTab], removedIds: []}}));
        expect(here("c")!.title).toBe("Renamed here");
        expect(ids(here("c"))).toEqual(["a1", "q2", "a2"]);
        // A malformed list there is ignored.
        takeChatsFromOtherTab(JSON.stringify({state: {conversations: [{...otherTab, deletedMessageIds: "a1"}], removedIds: []}}));
        expect(ids(here("c"))).toEqual(["a1", "q2", "a2"]);
    });
});
