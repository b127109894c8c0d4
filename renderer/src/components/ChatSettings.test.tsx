import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {useState} from "react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {flushConversationSaves, selectActiveConversation, useConversations} from "../stores/useConversations.js";
import {FakeBackend} from "../testing/fakes.js";
import {ChatSettings} from "./ChatSettings.js";

/** The panel as the app mounts it: the active chat's, closed by its button or Esc. */
function Panel() {
    const conversation = useConversations(selectActiveConversation);
    const [open, setOpen] = useState(true);
    if (!open || !conversation) return <p data-testid="closed" />;
    return <ChatSettings conversation={conversation} onClose={() => setOpen(false)} />;
}

const chat = () => selectActiveConversation(useConversations.getState())!;

/**
 * Types text a number input cannot read (`1e`, half of `1e3`) the way the browser reports it: the input's value
 * reads "", as for an emptied field, and only `validity.badInput` says otherwise.
 */
function typeUnreadable(input: HTMLElement): void {
    Object.defineProperty(input, "validity", {configurable: true, get: () => ({badInput: true})});
    fireEvent.input(input, {target: {value: ""}});
}

/** Types a number the browser reads (or empties the field), as the browser reports each keystroke. */
function typeNumber(input: HTMLElement, text: string): void {
    delete (input as {validity?: unknown}).validity;
    fireEvent.input(input, {target: {value: text}});
}

describe("ChatSettings", () => {
    beforeEach(() => {
        localStorage.clear();
        setBackend(new FakeBackend());
        useConversations.setState({conversations: [], activeId: null, syncError: null, removedIds: []});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("flags a value it cannot take and keeps the last valid one in force", () => {
        useConversations.getState().create("Guest");
        render(<Panel />);
        const temperature = screen.getByTestId("temperature-input");
        fireEvent.change(temperature, {target: {value: "5"}});
        expect(temperature.getAttribute("aria-invalid")).toBe("true");
        expect(screen.getByTestId("temperature-input-error").textContent).toBe("Must be between 0 and 2. 0.7 is used.");
        expect(chat().params.temperature).toBe(0.7);
        fireEvent.change(screen.getByTestId("max-tokens-input"), {target: {value: "1.5"}});
        expect(screen.getByTestId("max-tokens-input-error").textContent).toMatch(/whole number/);
        fireEvent.change(temperature, {target: {value: "1.2"}});
        expect(temperature.getAttribute("aria-invalid")).toBe("false");
        expect(screen.queryByTestId("temperature-input-error")).toBeNull();
        expect(chat().params.temperature).toBe(1.2);
    });

    it("says text that is not a number is not one, and keeps the last valid value: only an emptied field means the default", async () => {
        const backend = new FakeBackend();
        setBackend(backend);
        const id = useConversations.getState().create("Guest");
        useConversations.getState().addMessage(id, {role: "user", content: "Sam"});
        render(<Panel />);
        const temperature = screen.getByTestId("temperature-input");
        typeNumber(temperature, "0.2");
        expect(chat().params.temperature).toBe(0.2);
        // Cleared, then `1e` typed: `1` is a value, `1e` is not one yet.
        typeNumber(temperature, "");
        typeNumber(temperature, "1");
        typeUnreadable(temperature);
        expect(temperature.getAttribute("aria-invalid")).toBe("true");
        expect(screen.getByTestId("temperature-input-error").textContent).toBe("Not a number. 1 is used.");
        expect(chat().params.temperature).toBe(1);
        await flushConversationSaves();
        expect(backend.adminFake.conversations.get(id)!.params.temperature).toBe(1);
        // Unreadable text typed into an empty field (no value to change from) is flagged as well.
        typeNumber(temperature, "");
        expect(screen.queryByTestId("temperature-input-error")).toBeNull();
        expect(chat().params.temperature).toBeUndefined();
        typeUnreadable(temperature);
        expect(screen.getByTestId("temperature-input-error").textContent).toBe("Not a number. The default is used.");
        // Unreadable text after a value, then cleared: the field is empty, so the default is used again.
        typeNumber(temperature, "0.3");
        typeUnreadable(temperature);
        expect(chat().params.temperature).toBe(0.3);
        typeNumber(temperature, "");
        expect(screen.queryByTestId("temperature-input-error")).toBeNull();
        expect(chat().params.temperature).toBeUndefined();
        typeNumber(temperature, "0.5");
        expect(temperature.getAttribute("aria-invalid")).toBe("false");
        expect(screen.queryByTestId("temperature-input-error")).toBeNull();
        expect(chat().params.temperature).toBe(0.5);
    });

    it("shows each chat's own values after a switch, not what was typed in another", () => {
        const first = useConversations.getState().create("Guest");
        useConversations.getState().addMessage(first, {role: "user", content: "Sam"});
        const second = useConversations.getState().create("Guest");
        useConversations.getState().select(first);
        render(<Panel />);
        fireEvent.change(screen.getByTestId("temperature-input"), {target: {value: "9"}});
        expect((screen.getByTestId("temperature-input") as HTMLInputElement).value).toBe("9");
        act(() => useConversations.getState().select(second));
        expect((screen.getByTestId("temperature-input") as HTMLInputElement).value).toBe("0.7");
    });

    it("closes on Esc", () => {
        useConversations.getState().create("Guest");
        render(<Panel />);
        fireEvent.keyDown(document, {key: "Escape"});
        expect(screen.getByTestId("closed")).toBeTruthy();
    });
});
