import {act, cleanup, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "./backend/current.js";
import {Sidebar} from "./components/Sidebar.js";
import {followShortcuts} from "./shortcuts.js";
import {useConnection} from "./stores/useConnection.js";
import {useConversations} from "./stores/useConversations.js";
import {useView} from "./stores/useView.js";
import {freshChatState} from "./testing/freshChatState.js";
import {nextFrame} from "./testing/frames.js";

/** A key pressed with Ctrl (and Shift), where the page is. */
function press(key: string, shift = false): KeyboardEvent {
    const event = new KeyboardEvent("keydown", {key, ctrlKey: true, shiftKey: shift, bubbles: true, cancelable: true});
    act(() => void document.body.dispatchEvent(event));
    return event;
}

describe("keyboard shortcuts", () => {
    let stop: () => void;
    beforeEach(() => {
        freshChatState({status: "ok", error: null});
        stop = followShortcuts();
    });
    afterEach(() => {
        stop();
        cleanup();
        setBackend(null);
    });

    it("Ctrl+Shift+O starts a new chat, shown, with the focus asked for its message box; Ctrl+K puts the focus in the chat search", async () => {
        const first = useConversations.getState().create();
        useConversations.getState().addMessage(first, {role: "user", content: "a question"});
        useView.getState().show("dashboard");
        const focusAsked = useView.getState().composerFocus;
        expect(press("O", true).defaultPrevented).toBe(true);
        expect(useConversations.getState().activeId).not.toBe(first);
        expect(useView.getState().view).toBe("chat");
        expect(useView.getState().composerFocus).toBe(focusAsked + 1);

        render(<Sidebar />);
        const search = screen.getByTestId("chat-search");
        expect(search.getAttribute("aria-keyshortcuts")).toBe("Control+K");
        expect(screen.getByTestId("new-chat").getAttribute("aria-keyshortcuts")).toBe("Control+Shift+O");
        expect(press("k").defaultPrevented).toBe(true);
        await act(() => nextFrame());
        expect(document.activeElement).toBe(search);
    });

    it("leaves other keys, these keys without Ctrl, and every key behind the key dialog to the page", () => {
        expect(press("n").defaultPrevented).toBe(false);
        // No chat search on the page (no chat yet): the browser's own Ctrl+K stays.
        expect(press("k").defaultPrevented).toBe(false);
        useConnection.setState({status: "unauthorized"});
        const before = useConversations.getState().conversations.length;
        expect(press("O", true).defaultPrevented).toBe(false);
        expect(useConversations.getState().conversations).toHaveLength(before);
        const plain = new KeyboardEvent("keydown", {key: "k", bubbles: true, cancelable: true});
        document.body.dispatchEvent(plain);
        expect(plain.defaultPrevented).toBe(false);
    });
});
