import {act, cleanup, fireEvent, render, screen, within} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {useChatStream} from "../stores/useChatStream.js";
import {flushConversationSaves, useConversations} from "../stores/useConversations.js";
import {useLocalCopy} from "../stores/useLocalCopy.js";
import type {FakeBackend} from "../testing/fakes.js";
import {freshChatState} from "../testing/freshChatState.js";
import {CONVERSATION_PAGE} from "../../../shared/conversationSearch.js";
import {useProfiles} from "../stores/useProfiles.js";
import {Sidebar} from "./Sidebar.js";

/** The answer being written (these tests write one at a time), or null. */
const answerShown = () => Object.values(useChatStream.getState().answers)[0] ?? null;

function chat(question: string, answer: string): string {
    const {create, addMessage} = useConversations.getState();
    const id = create();
    addMessage(id, {role: "user", content: question});
    addMessage(id, {role: "assistant", content: answer});
    return id;
}

const titles = () => screen.queryAllByTestId("conversation-item").map((li) => li.querySelector(".conversation-select")!.textContent);

describe("Sidebar", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = freshChatState({status: "ok", error: null});
        useLocalCopy.setState({error: null});
    });
    afterEach(async () => {
        cleanup();
        await flushConversationSaves();
        setBackend(null);
    });

    it("filters the chats by title and text", () => {
        chat("Once upon a time there was a fox", "It ran into the forest");
        chat("Once upon a time there was a frog", "It sat by the pond");
        render(<Sidebar />);
        const search = screen.getByTestId("chat-search");
        fireEvent.change(search, {target: {value: "POND"}});
        expect(titles()).toEqual(["Once upon a time there was a frog"]);
        fireEvent.change(search, {target: {value: "once forest"}});
        expect(titles()).toEqual(["Once upon a time there was a fox"]);
        fireEvent.change(search, {target: {value: "dragon"}});
        expect(titles()).toEqual([]);
        expect(screen.getByTestId("no-search-results").textContent).toBe("No chat matches “dragon”");
        // Said, not only shown: its status region was there before the text came.
        expect(screen.getByTestId("no-search-results").parentElement!.getAttribute("role")).toBe("status");
        fireEvent.change(search, {target: {value: ""}});
        expect(titles()).toHaveLength(2);
    });

    it("reads older chats a page at a time, and finds one no page read yet by its words", async () => {
        const profile = useProfiles.getState().active;
        const start = Date.UTC(2026, 0, 1);
        for (let i = 0; i < CONVERSATION_PAGE + 3; i++)
            await backend.adminFake.run("saveConversation", {
                id: `old-${String(i).padStart(3, "0")}`,
                title: `Chat ${i}`,
                profile,
                systemPrompt: "",
                params: {},
                createdAt: start + i * 1000,
                updatedAt: start + i * 1000,
                messages: [{id: `q${i}`, role: "user", content: i === 1 ? "the zebra question" : `question ${i}`, createdAt: start + i * 1000}]
            });
        await act(() => useConversations.getState().load());
        render(<Sidebar />);
        expect(titles()).toHaveLength(CONVERSATION_PAGE);

        // A search finds the oldest chats on the server too, after a pause in the typing.
        fireEvent.change(screen.getByTestId("chat-search"), {target: {value: "ZEBRA"}});
        expect(titles()).toEqual([]);
        await act(() => vi.waitFor(() => expect(titles()).toEqual(["Chat 1"])));
        fireEvent.change(screen.getByTestId("chat-search"), {target: {value: ""}});

        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Show older chats"})));
        await vi.waitFor(() => expect(titles()).toHaveLength(CONVERSATION_PAGE + 3));
        // Every chat read: nothing more to show.
        expect(screen.queryByTestId("load-older-chats")).toBeNull();
        expect(useConversations.getState().olderCursor).toBeNull();
    });

    it("renames a chat on a double-click (Enter keeps the name, Esc cancels) and marks the open one current", async () => {
        const id = chat("Once upon a time there was a fox", "It ran");
        render(<Sidebar />);
        const item = screen.getByTestId("conversation-item");
        expect(within(item).getByText("Once upon a time there was a fox").closest("button")!.getAttribute("aria-current")).toBe("true");

        fireEvent.doubleClick(item.querySelector(".conversation-select")!);
        const input = screen.getByTestId("rename-input") as HTMLInputElement;
        expect(input.maxLength).toBe(500);
        fireEvent.change(input, {target: {value: "Fox story"}});
        fireEvent.keyDown(input, {key: "Escape"});
        expect(titles()).toEqual(["Once upon a time there was a fox"]);

        fireEvent.click(screen.getByTestId("rename-conversation"));
        fireEvent.change(screen.getByTestId("rename-input"), {target: {value: "Fox story"}});
        fireEvent.keyDown(screen.getByTestId("rename-input"), {key: "Enter"});
        expect(titles()).toEqual(["Fox story"]);
        expect(document.activeElement).toBe(screen.getByTestId("conversation-item").querySelector(".conversation-select"));
        await flushConversationSaves();
        expect(backend.adminFake.conversations.get(id)!.title).toBe("Fox story");
    });

    it("offers to undo a deletion, which brings the chat back", async () => {
        chat("Once upon a time there was a fox", "It ran");
        render(<Sidebar />);
        fireEvent.click(screen.getByTestId("delete-conversation"));
        expect(titles()).toEqual([]);
        expect(screen.getByTestId("undo-delete").textContent).toContain("Deleted “Once upon a time there was a fox”.");
        fireEvent.click(screen.getByTestId("undo-delete-button"));
        expect(titles()).toEqual(["Once upon a time there was a fox"]);
        expect(screen.queryByTestId("undo-delete")).toBeNull();
    });

    it("deletes a chat being answered once its stopped answer is kept: Undo brings it back with that answer, marked stopped", async () => {
        const id = chat("Once upon a time there was a fox", "It ran");
        render(<Sidebar />);
        let sending!: Promise<void>;
        act(() => void (sending = useChatStream.getState().send("And then?")));
        act(() => backend.delta("It jumped over"));
        fireEvent.click(screen.getByTestId("delete-conversation"));
        await act(() => sending);
        await vi.waitFor(() => expect(titles()).toEqual([]));
        expect(answerShown()).toBeNull();
        fireEvent.click(screen.getByTestId("undo-delete-button"));
        expect(titles()).toEqual(["Once upon a time there was a fox"]);
        const restored = useConversations.getState().conversations.find((c) => c.id === id)!;
        expect(restored.messages.map((m) => [m.role, m.content])).toEqual([
            ["user", "Once upon a time there was a fox"],
            ["assistant", "It ran"],
            ["user", "And then?"],
            ["assistant", "It jumped over"]
        ]);
        expect(restored.messages[3]!.stats?.finishReason).toBe("aborted");
        expect(useConversations.getState().activeId).toBe(id);
        // And so on the server too, once the undo is saved.
        await flushConversationSaves();
        expect(backend.adminFake.conversations.get(id)!.messages.map((m) => m.content)).toContain("It jumped over");
    });

    it("marks the chat being answered, and says when this browser keeps no copy of the chats", () => {
        chat("Once upon a time there was a fox", "It ran");
        render(<Sidebar />);
        act(() => void useChatStream.getState().send("And then?"));
        expect(screen.getByRole("img", {name: "Answering:"})).toBeTruthy();
        act(() => useChatStream.getState().stop(useConversations.getState().activeId!));
        act(() => useLocalCopy.setState({error: "exceeded the quota"}));
        expect(screen.getByTestId("local-copy-error").textContent).toMatch(/not keeping a copy of the chats/);
    });

    it("limits a profile's name to what the server takes", () => {
        render(<Sidebar />);
        fireEvent.click(screen.getByTestId("profile-add"));
        expect((screen.getByTestId("profile-name-input") as HTMLInputElement).maxLength).toBe(64);
    });

    it("names the new profile's fields, and Esc closes the form back to its + button", () => {
        render(<Sidebar />);
        fireEvent.click(screen.getByTestId("profile-add"));
        expect(screen.getByRole("textbox", {name: "Profile name"})).toBe(screen.getByTestId("profile-name-input"));
        expect(screen.getByTestId("profile-name-input").closest("label")?.querySelector(".field-label")?.textContent).toBe("Profile name");
        expect(screen.getByRole("textbox", {name: "Group (optional)"})).toBeTruthy();
        fireEvent.keyDown(screen.getByTestId("profile-name-input"), {key: "Escape"});
        expect(screen.queryByTestId("profile-name-input")).toBeNull();
        expect(document.activeElement).toBe(screen.getByTestId("profile-add"));
    });
});
