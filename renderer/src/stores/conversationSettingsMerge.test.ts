import {beforeEach, describe, expect, it, vi} from "vitest";
import type {ConversationRecord} from "../../../shared/admin.js";
import {settingsOf} from "../../../shared/conversationSettings.js";
import type {FakeBackend} from "../testing/fakes.js";
import {freshConversations} from "./conversationsTestState.js";
import {flushConversationSaves, followOtherTabs, selectActiveConversation, useConversations} from "./useConversations.js";

const state = () => useConversations.getState();

describe("useConversations: a chat's settings changed in two windows", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = freshConversations();
    });

    /** A chat with a question, saved: the server's copy is what another window reads. */
    async function savedChat(): Promise<string> {
        const id = state().create("Guest");
        state().addMessage(id, {role: "user", content: "q"});
        await flushConversationSaves();
        return id;
    }

    const stored = (id: string): ConversationRecord => structuredClone(backend.adminFake.conversations.get(id)!);
    const shown = () => selectActiveConversation(state())!;

    /** Another window's save: it read `read` from the server and changed `change` there, `after` ms later. */
    const savedElsewhere = (read: ConversationRecord, change: Partial<ConversationRecord>, after = 1000) =>
        backend.adminFake.run("saveConversation", {
            ...read,
            ...change,
            updatedAt: read.updatedAt + after,
            baseUpdatedAt: read.updatedAt,
            baseSettings: settingsOf(read)
        });

    it("keeps both windows' changes of different settings, and this window shows the other's", async () => {
        const id = await savedChat();
        // Another window names the chat; this one, which has not read that, then writes a system prompt.
        await savedElsewhere(stored(id), {title: "Named elsewhere"});
        state().setSystemPrompt(id, "Be brief.");
        state().setParams(id, {max_tokens: 64});
        await flushConversationSaves();
        expect(stored(id)).toMatchObject({title: "Named elsewhere", systemPrompt: "Be brief.", params: {max_tokens: 64}});
        expect(shown()).toMatchObject({title: "Named elsewhere", systemPrompt: "Be brief.", params: {max_tokens: 64}});
        expect(state().conversations).toHaveLength(1);
        expect(state().conflictNotice).toBeNull();
    });

    it("one setting changed in both: the later save wins, and the window that lost shows it once it is looked at again", async () => {
        const id = await savedChat();
        const read = stored(id);
        state().rename(id, "Mine");
        await flushConversationSaves();
        // The other window, behind, names it later: its name is kept.
        const theirs = await savedElsewhere(read, {title: "Theirs"});
        expect(theirs.settings).toBeUndefined();
        expect(stored(id).title).toBe("Theirs");
        expect(shown().title).toBe("Mine");

        // This window gets the focus back: it reads the server, and shows the name kept.
        useConversations.setState({loaded: true});
        const page = new EventTarget();
        const stop = followOtherTabs(page as unknown as Window);
        page.dispatchEvent(new Event("focus"));
        await vi.waitFor(() => expect(shown().title).toBe("Theirs"));
        stop();
        // Its next change, of another setting, does not bring its own name back.
        state().setParams(id, {temperature: 0.2});
        await flushConversationSaves();
        expect(stored(id)).toMatchObject({title: "Theirs", params: {temperature: 0.2}});

        // The other way round: this window's later save, from behind, wins for the setting it changed.
        await savedElsewhere(stored(id), {title: "Theirs again", systemPrompt: "Rhyme."});
        state().rename(id, "Mine at last");
        await flushConversationSaves();
        expect(stored(id)).toMatchObject({title: "Mine at last", systemPrompt: "Rhyme.", params: {temperature: 0.2}});
        expect(shown()).toMatchObject({title: "Mine at last", systemPrompt: "Rhyme.", params: {temperature: 0.2}});
    });

    it("a setting changed here while a save is on its way stays; the others take what the server kept", async () => {
        const id = await savedChat();
        await savedElsewhere(stored(id), {title: "Named elsewhere", params: {...stored(id).params, max_tokens: 99}});
        const release = backend.holdAnswers("saveConversation");
        state().setSystemPrompt(id, "First");
        const flushing = flushConversationSaves();
        await Promise.resolve();
        state().setParams(id, {temperature: 0.1});
        const sent = backend.adminFake.calls.filter((c) => c.op === "saveConversation").at(-1)!.input as ConversationRecord;
        expect(sent).toMatchObject({systemPrompt: "First", params: {temperature: 0.7}});
        release();
        await flushing;
        expect(shown()).toMatchObject({title: "Named elsewhere", systemPrompt: "First", params: {temperature: 0.1, max_tokens: 99}});
        await flushConversationSaves();
        expect(stored(id)).toMatchObject({title: "Named elsewhere", systemPrompt: "First", params: {temperature: 0.1, max_tokens: 99}});
    });

    it("a rename refused because another window added a message meanwhile is kept on the stored chat, and saved", async () => {
        const id = await savedChat();
        const read = stored(id);
        await savedElsewhere(read, {messages: [...read.messages, {id: "their-answer", role: "assistant", content: "their answer", createdAt: read.updatedAt}]});
        state().rename(id, "Mine");
        await flushConversationSaves();
        await flushConversationSaves();
        expect(state().conversations).toHaveLength(1);
        expect(state().conflictNotice).toBeNull();
        expect(shown().title).toBe("Mine");
        expect(shown().messages.map((m) => m.content)).toEqual(["q", "their answer"]);
        expect(stored(id).title).toBe("Mine");
        expect(stored(id).messages.map((m) => m.content)).toEqual(["q", "their answer"]);
    });

    it("a setting changed here but not saved before a reload survives another browser's later change of another one", async () => {
        const id = await savedChat();
        const read = stored(id);
        backend.adminFake.failing.set("saveConversation", new Error("Failed to fetch"));
        state().setParams(id, {max_tokens: 77});
        await flushConversationSaves();
        backend.adminFake.failing.clear();
        // Saved there later than the change here.
        await savedElsewhere(read, {title: "Named elsewhere"}, 60_000);
        await state().load();
        await flushConversationSaves();
        expect(shown()).toMatchObject({title: "Named elsewhere", params: {max_tokens: 77}});
        expect(stored(id)).toMatchObject({title: "Named elsewhere", params: {max_tokens: 77}});
    });

    it("a save whose answer never came (the page closed) reads back at the next load with what the server kept from elsewhere", async () => {
        const id = await savedChat();
        await savedElsewhere(stored(id), {title: "Named elsewhere"});
        const answer = backend.holdAnswers("saveConversation");
        state().setSystemPrompt(id, "Be brief.");
        const flushing = flushConversationSaves();
        await vi.waitFor(() => expect(stored(id).systemPrompt).toBe("Be brief."));
        // The next page starts from this page's copy, which the server's answer never reached.
        await state().load();
        expect(shown()).toMatchObject({title: "Named elsewhere", systemPrompt: "Be brief."});
        answer();
        await flushing;
    });

    it("a parameter cleared here stays cleared when the page reads the server again", async () => {
        const id = await savedChat();
        state().setParams(id, {temperature: undefined});
        await flushConversationSaves();
        // As the real server keeps it: over JSON, an unset parameter is no key at all (it reads back as the default).
        backend.adminFake.conversations.set(id, JSON.parse(JSON.stringify(stored(id))) as ConversationRecord);
        await state().load();
        expect(shown().params).toEqual({max_tokens: 256, temperature: undefined});
    });

    it("a refresh takes in chats saved elsewhere, and does not save back one the server no longer lists", async () => {
        const id = await savedChat();
        const other = {...stored(id), id: "from-elsewhere", title: "From elsewhere", updatedAt: stored(id).updatedAt + 10};
        backend.adminFake.conversations.set(other.id, other);
        // Deleted in another browser.
        backend.adminFake.conversations.delete(id);
        useConversations.setState({loaded: true});
        await state().refresh();
        await flushConversationSaves();
        expect(state().conversations.map((c) => c.id)).toEqual(["from-elsewhere", id]);
        expect(backend.adminFake.conversations.has(id)).toBe(false);
        expect(state().activeId).toBe(id);
    });
});
