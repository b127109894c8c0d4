import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {useState} from "react";
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {APP_USER} from "../backend/whoami.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {HttpBackend} from "../backend/httpBackend.js";
import {toChatRequest} from "../stores/useChatStream.js";
import {flushConversationSaves, selectActiveConversation, useConversations} from "../stores/useConversations.js";
import {chunk, FakeBackend, sse, sseResponse} from "../testing/fakes.js";
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
        // The app's own key, as the server said (the chats saved to the server, the models listed).
        useSignedIn.setState({signedIn: APP_USER});
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

    it("sets Top P and a Seed per chat, saved with the chat and sent with its questions; an emptied Seed is a random one again", async () => {
        const backend = new FakeBackend();
        setBackend(backend);
        const first = useConversations.getState().create("Guest");
        useConversations.getState().addMessage(first, {role: "user", content: "Sam"});
        const second = useConversations.getState().create("Guest");
        useConversations.getState().addMessage(second, {role: "user", content: "Kim"});
        useConversations.getState().select(first);
        render(<Panel />);
        expect(screen.getByTestId("seed-input").closest("label")!.textContent).toContain(
            "Empty = a random seed each answer. The same seed with the same settings and chat repeats an answer."
        );
        typeNumber(screen.getByTestId("top-p-input"), "0.9");
        typeNumber(screen.getByTestId("seed-input"), "42");
        expect(chat().params).toMatchObject({top_p: 0.9, seed: 42});
        await flushConversationSaves();
        expect(backend.adminFake.conversations.get(first)!.params).toMatchObject({top_p: 0.9, seed: 42});

        // What a question of this chat sends: both, as the OpenAI API names them.
        const fetchMock = vi.fn(async () => sseResponse([sse(chunk("Hi", "stop")), sse("[DONE]")]));
        const http = new HttpBackend({getApiKey: () => "k", fetch: fetchMock as unknown as typeof fetch});
        await http.streamChat(toChatRequest(chat()), () => {}, new AbortController().signal);
        const body = JSON.parse((fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].body as string) as Record<string, unknown>;
        expect(body).toMatchObject({top_p: 0.9, seed: 42});

        // The other chat keeps its own (none).
        act(() => useConversations.getState().select(second));
        expect((screen.getByTestId("seed-input") as HTMLInputElement).value).toBe("");
        expect((screen.getByTestId("top-p-input") as HTMLInputElement).value).toBe("");
        expect(chat().params.seed).toBeUndefined();
        act(() => useConversations.getState().select(first));
        expect((screen.getByTestId("seed-input") as HTMLInputElement).value).toBe("42");

        // Emptied: no seed is sent, each answer draws its own.
        typeNumber(screen.getByTestId("seed-input"), "");
        expect(chat().params.seed).toBeUndefined();
        await http.streamChat(toChatRequest(chat()), () => {}, new AbortController().signal);
        const again = JSON.parse((fetchMock.mock.calls[1] as unknown as [string, RequestInit])[1].body as string) as Record<string, unknown>;
        expect(again).not.toHaveProperty("seed");
        expect(again).toMatchObject({top_p: 0.9});
    });

    it("sets llama.cpp's Top K, Min P and repeat penalty per chat, saved with it and sent with its questions", async () => {
        const backend = new FakeBackend();
        setBackend(backend);
        const id = useConversations.getState().create("Guest");
        useConversations.getState().addMessage(id, {role: "user", content: "Sam"});
        render(<Panel />);
        typeNumber(screen.getByTestId("top-k-input"), "20");
        typeNumber(screen.getByTestId("min-p-input"), "0.1");
        typeNumber(screen.getByTestId("repeat-penalty-input"), "1.15");
        expect(chat().params).toMatchObject({top_k: 20, min_p: 0.1, repeat_penalty: 1.15});
        await flushConversationSaves();
        expect(backend.adminFake.conversations.get(id)!.params).toMatchObject({top_k: 20, min_p: 0.1, repeat_penalty: 1.15});
        const fetchMock = vi.fn(async () => sseResponse([sse(chunk("Hi", "stop")), sse("[DONE]")]));
        const http = new HttpBackend({getApiKey: () => "k", fetch: fetchMock as unknown as typeof fetch});
        await http.streamChat(toChatRequest(chat()), () => {}, new AbortController().signal);
        const body = JSON.parse((fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].body as string) as Record<string, unknown>;
        expect(body).toMatchObject({top_k: 20, min_p: 0.1, repeat_penalty: 1.15});
        // Each within llama.cpp's range, as for the other fields.
        typeNumber(screen.getByTestId("top-k-input"), "2.5");
        expect(chat().params.top_k).toBe(20);
        typeNumber(screen.getByTestId("min-p-input"), "2");
        expect(chat().params.min_p).toBe(0.1);
    });

    it("refuses a Top P outside 0..1 and a Seed that is not a whole 32-bit number, keeping the value in force", () => {
        useConversations.getState().create("Guest");
        render(<Panel />);
        const topP = screen.getByTestId("top-p-input");
        typeNumber(topP, "0.5");
        typeNumber(topP, "1.5");
        expect(screen.getByTestId("top-p-input-error").textContent).toBe("Must be between 0 and 1. 0.5 is used.");
        expect(chat().params.top_p).toBe(0.5);
        const seed = screen.getByTestId("seed-input");
        typeNumber(seed, "7");
        typeNumber(seed, "7.5");
        expect(screen.getByTestId("seed-input-error").textContent).toBe("Must be a whole number. 7 is used.");
        // The largest 32-bit value is llama.cpp's "no seed": not one to repeat an answer with.
        typeNumber(seed, "4294967295");
        expect(screen.getByTestId("seed-input-error").textContent).toBe("Must be between 0 and 4294967294. 7 is used.");
        typeNumber(seed, "-1");
        expect(screen.getByTestId("seed-input-error").textContent).toMatch(/^Must be between 0 and 4294967294/);
        typeNumber(seed, "4294967294");
        expect(screen.queryByTestId("seed-input-error")).toBeNull();
        expect(chat().params.seed).toBe(4294967294);
    });
});
