import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {flushConversationSaves, useConversations} from "../stores/useConversations.js";
import {freshChatState} from "../testing/freshChatState.js";
import {Sidebar} from "./Sidebar.js";
import {UNDO_MS} from "./UndoDelete.js";

function chat(question: string): string {
    const {create, addMessage} = useConversations.getState();
    const id = create();
    addMessage(id, {role: "user", content: question});
    addMessage(id, {role: "assistant", content: "It ran"});
    return id;
}

describe("UndoDelete", () => {
    beforeEach(() => {
        freshChatState({status: "ok", error: null});
    });
    afterEach(async () => {
        vi.useRealTimers();
        cleanup();
        await flushConversationSaves();
        setBackend(null);
    });

    it("takes the focus from the deleted chat's ×, and gives it to the chat brought back by Undo", () => {
        chat("Once upon a time there was a fox");
        render(<Sidebar />);
        const remove = screen.getByTestId("delete-conversation");
        remove.focus();
        fireEvent.click(remove);
        const undo = screen.getByTestId("undo-delete-button");
        expect(document.activeElement).toBe(undo);
        fireEvent.click(undo);
        expect(screen.queryByTestId("undo-delete")).toBeNull();
        expect(document.activeElement).toBe(screen.getByTestId("conversation-item").querySelector(".conversation-select"));
    });

    it("waits while the pointer or the focus is on it, and goes on from the time it had left", () => {
        vi.useFakeTimers();
        chat("Once upon a time there was a fox");
        render(<Sidebar />);
        fireEvent.click(screen.getByTestId("delete-conversation"));
        const toast = screen.getByTestId("undo-delete");
        const undo = screen.getByTestId("undo-delete-button");
        // The focus was lost with the deleted chat's ×: it is on Undo, and the time waits.
        expect(document.activeElement).toBe(undo);
        act(() => void vi.advanceTimersByTime(UNDO_MS * 3));
        expect(screen.queryByTestId("undo-delete")).not.toBeNull();
        fireEvent.blur(undo, {relatedTarget: screen.getByTestId("new-chat")});
        act(() => void vi.advanceTimersByTime(UNDO_MS / 2));
        fireEvent.mouseEnter(toast);
        act(() => void vi.advanceTimersByTime(UNDO_MS * 3));
        expect(screen.queryByTestId("undo-delete")).not.toBeNull();
        fireEvent.mouseLeave(toast);
        // The time left when the pointer came, not all of it again.
        act(() => void vi.advanceTimersByTime(UNDO_MS / 2 - 100));
        expect(screen.queryByTestId("undo-delete")).not.toBeNull();
        act(() => void vi.advanceTimersByTime(200));
        expect(screen.queryByTestId("undo-delete")).toBeNull();
    });

    it("gone from the store with the focus on Undo (forgotten, a sign-out), the focus goes to New chat, not the page's top", () => {
        vi.useFakeTimers();
        chat("Once upon a time there was a fox");
        render(<Sidebar />);
        fireEvent.click(screen.getByTestId("delete-conversation"));
        const undo = screen.getByTestId("undo-delete-button");
        act(() => undo.focus());
        // Time runs out only once the focus left; here the store forgets it (another deletion's toast, a sign-out).
        act(() => useConversations.getState().forgetRemoved());
        expect(screen.queryByTestId("undo-delete")).toBeNull();
        expect(document.activeElement).toBe(screen.getByTestId("new-chat"));
    });
});
