import {act, cleanup, fireEvent, render, screen, waitFor, within} from "@testing-library/react";
import {flushSync} from "react-dom";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {App} from "../App.js";
import {setBackend} from "../backend/current.js";
import {answeringEntryKey, useAnsweringElsewhere} from "../stores/answeringElsewhere.js";
import {useChatStream} from "../stores/useChatStream.js";
import {useConnection} from "../stores/useConnection.js";
import {useConversations} from "../stores/useConversations.js";
import {useProfiles} from "../stores/useProfiles.js";
import {models, type FakeBackend} from "../testing/fakes.js";
import {freshChatState} from "../testing/freshChatState.js";
import {nextFrame} from "../testing/frames.js";

function composer(): HTMLTextAreaElement {
    return screen.getByTestId("composer-input") as HTMLTextAreaElement;
}

function type(text: string): HTMLTextAreaElement {
    fireEvent.change(composer(), {target: {value: text}});
    return composer();
}

function openChat(title: string): void {
    const item = screen.getAllByTestId("conversation-item").find((li) => li.textContent?.includes(title));
    if (!item) throw new Error(`no chat titled ${title}`);
    fireEvent.click(within(item).getAllByRole("button")[0]!);
}

describe("Composer", () => {
    let backend: FakeBackend;
    const realStop = useChatStream.getState().stop;
    beforeEach(() => {
        backend = freshChatState({apiKey: null, status: "checking", health: null, models: [], error: null});
        useProfiles.setState({profiles: [], active: "Guest", loaded: false, error: null});
    });
    afterEach(() => {
        cleanup();
        useChatStream.setState({stop: realStop});
        setBackend(null);
    });

    it("a click on Send just as it takes Stop's place (a double-click on Stop, an answer ending under the pointer) sends nothing", async () => {
        render(<App />);
        fireEvent.keyDown(type("Once upon a time there was a little fox"), {key: "Enter"});
        act(() => backend.delta("There"));
        type("My draft");
        await act(async () => fireEvent.click(screen.getByTestId("stop-button")));
        // The second click of a double-click lands on Send, now where Stop was.
        await act(async () => fireEvent.click(screen.getByTestId("send-button")));
        expect(backend.requests).toHaveLength(1);
        expect(composer().value).toBe("My draft");
        // Later, a click on Send sends.
        const realNow = Date.now;
        Date.now = () => realNow() + 5_000;
        try {
            await act(async () => fireEvent.click(screen.getByTestId("send-button")));
        } finally {
            Date.now = realNow;
        }
        expect(backend.requests).toHaveLength(2);
    });

    it("Stop stops the answer and keeps the draft: it never submits it", async () => {
        render(<App />);
        fireEvent.keyDown(type("Once upon a time there was a little fox"), {key: "Enter"});
        act(() => backend.delta("There"));
        // Chromium lets the stop's re-render (a microtask) happen before the click's default action; here the
        // stop re-renders at once, so a Stop that shared its <button> with Send would submit the draft.
        useChatStream.setState({
            stop: (conversationId) => {
                realStop(conversationId);
                flushSync(() => useChatStream.setState({answers: {}}));
            }
        });
        type("My next question, still drafting");
        await act(async () => fireEvent.click(screen.getByTestId("stop-button")));

        expect(backend.requests).toHaveLength(1);
        expect(screen.getAllByTestId("message-user").map((m) => m.textContent)).toEqual(["Once upon a time there was a little fox"]);
        expect(composer().value).toBe("My next question, still drafting");
        expect(screen.getByTestId("aborted-tag")).toBeTruthy();
        // Stop is gone with the answer: the focus is back where the next message is typed.
        expect(document.activeElement).toBe(composer());
    });

    it("Esc in the message box stops the answer (as Stop does); with no answer written it does nothing", async () => {
        render(<App />);
        fireEvent.keyDown(type("Once upon a time there was a little fox"), {key: "Enter"});
        act(() => backend.delta("There"));
        expect(screen.getByTestId("stop-button").getAttribute("aria-keyshortcuts")).toBe("Escape");
        type("half a next question");
        await act(async () => fireEvent.keyDown(composer(), {key: "Escape"}));
        await waitFor(() => expect(screen.getByTestId("aborted-tag")).toBeTruthy());
        expect(composer().value).toBe("half a next question");
        expect(screen.queryByTestId("stop-button")).toBeNull();
        // Nothing to stop: the key is left to whatever else listens (it is not taken).
        const event = new KeyboardEvent("keydown", {key: "Escape", bubbles: true, cancelable: true});
        composer().dispatchEvent(event);
        expect(event.defaultPrevented).toBe(false);
        expect(backend.requests).toHaveLength(1);
    });

    it("an answer ending by itself with the focus on Stop gives the focus to the message box", async () => {
        render(<App />);
        fireEvent.keyDown(type("Once upon a time there was a little fox"), {key: "Enter"});
        act(() => backend.delta("There"));
        const stop = screen.getByTestId("stop-button");
        act(() => stop.focus());
        expect(document.activeElement).toBe(stop);
        await act(async () => backend.complete());
        expect(screen.queryByTestId("stop-button")).toBeNull();
        expect(document.activeElement).toBe(composer());
    });

    it("answers another chat while one is answered: each chat its own Stop, each answer kept in its own chat", async () => {
        render(<App />);
        // The server's chats are read first (that drops empty chats not open then).
        await waitFor(() => expect(useConversations.getState().loaded).toBe(true));
        fireEvent.keyDown(type("Tell me about the fox"), {key: "Enter"});
        const fox = useConversations.getState().activeId!;
        act(() => backend.delta("The fox"));
        fireEvent.click(screen.getByTestId("new-chat"));

        // The new chat is not being answered: no Stop here, and it sends at once (a click on its Send is not taken as
        // aimed at the other chat's Stop).
        expect(screen.queryByTestId("stop-button")).toBeNull();
        type("A question for this chat");
        fireEvent.click(screen.getByTestId("send-button"));
        expect(backend.requests).toHaveLength(2);
        expect(backend.requests[1]!.messages).toEqual([{role: "user", content: "A question for this chat"}]);
        expect(composer().value).toBe("");
        act(() => backend.delta("An answer", 1));
        await act(async () => nextFrame());
        expect(screen.getByTestId("message-assistant").textContent).toContain("An answer");
        // Its Stop stops this chat's answer only.
        await act(async () => fireEvent.click(screen.getByTestId("stop-button")));
        expect(screen.getByTestId("aborted-tag")).toBeTruthy();
        expect(backend.open).toBe(1);

        // The first chat went on meanwhile, and its answer is kept there.
        openChat("Tell me about the fox");
        act(() => backend.delta(" ran away."));
        await act(async () => backend.complete());
        const kept = useConversations.getState().conversations.find((c) => c.id === fox)!;
        expect(kept.messages.map((m) => [m.role, m.content])).toEqual([
            ["user", "Tell me about the fox"],
            ["assistant", "The fox ran away."]
        ]);
        expect(screen.queryByTestId("stop-button")).toBeNull();
    });

    it("while another tab answers this chat, says so and offers no send, edit, regenerate or switch of versions here", async () => {
        render(<App />);
        await waitFor(() => expect(useConversations.getState().loaded).toBe(true));
        const id = useConversations.getState().activeId!;
        act(() => {
            const question = useConversations.getState().addMessage(id, {role: "user", content: "Lily went out"});
            useConversations.getState().addMessage(id, {role: "assistant", content: "She saw a dog."});
            useConversations.getState().addVersion(id, question.id, {role: "user", content: "Tom went out"});
            useConversations.getState().addMessage(id, {role: "assistant", content: "He saw a cat."});
        });
        // Another tab of this browser regenerates the last answer (its entry, as that tab writes it).
        act(() => {
            localStorage.setItem(answeringEntryKey("another-tab", id), String(Date.now()));
            useAnsweringElsewhere.setState({entries: {[id]: Date.now()}});
        });
        expect(screen.getByTestId("answer-in-other-tab").textContent).toContain("This chat is being answered in another tab");
        const previous = () => screen.getByRole("button", {name: "Previous version"}) as HTMLButtonElement;
        expect(previous().disabled).toBe(true);
        expect(screen.queryByTestId("edit-button")).toBeNull();
        expect(screen.queryByTestId("regenerate-button")).toBeNull();
        fireEvent.keyDown(type("What then?"), {key: "Enter"});
        expect((screen.getByTestId("send-button") as HTMLButtonElement).disabled).toBe(true);
        expect(backend.requests).toHaveLength(0);
        expect(composer().value).toBe("What then?");

        // That answer is kept: this tab may go on.
        act(() => {
            localStorage.removeItem(answeringEntryKey("another-tab", id));
            useAnsweringElsewhere.setState({entries: {}});
        });
        expect(screen.queryByTestId("answer-in-other-tab")).toBeNull();
        expect(previous().disabled).toBe(false);
        expect(screen.getAllByTestId("edit-button")).toHaveLength(1);
        expect(screen.getByTestId("regenerate-button")).toBeTruthy();
        fireEvent.keyDown(composer(), {key: "Enter"});
        expect(backend.requests).toHaveLength(1);
        await act(async () => backend.complete({content: "ok"}));
    });

    it("goes on writing an answer after a switch to another profile, and keeps it in its own profile's chat", async () => {
        render(<App />);
        await waitFor(() => expect(useConversations.getState().loaded).toBe(true));
        await act(async () => void (await useProfiles.getState().add("Nurse")));
        act(() => useConversations.getState().showProfile("Nurse"));
        fireEvent.keyDown(type("Lily had a fever"), {key: "Enter"});
        const asked = useConversations.getState().activeId!;

        act(() => {
            useProfiles.getState().select("Guest");
            useConversations.getState().showProfile("Guest");
        });
        expect(screen.queryByTestId("stop-button")).toBeNull();
        act(() => backend.delta("Drink water."));
        await act(async () => backend.complete());
        const chat = useConversations.getState().conversations.find((c) => c.id === asked)!;
        expect([chat.profile, chat.messages.at(-1)?.content]).toEqual(["Nurse", "Drink water."]);
    });

    it("refuses a message far beyond the model's context, or over 1 MB, at the composer", async () => {
        backend.modelsImpl = async () => [{...models[0]!, meta: {context_size: 2048, parallel: 1, architecture: "llama", kv_editing: true}}];
        render(<App />);
        await waitFor(() => expect(useConnection.getState().models[0]?.meta?.context_size).toBe(2048));

        fireEvent.keyDown(type("word ".repeat(20_000)), {key: "Enter"});
        expect(screen.getByTestId("message-too-big").textContent).toBe(
            "This message is about 25,000 tokens; the model's context holds 2,048. Shorten it, or load a model with a larger context."
        );
        expect((screen.getByTestId("send-button") as HTMLButtonElement).disabled).toBe(true);

        act(() => useConnection.setState({models: []}));
        fireEvent.keyDown(type("x".repeat(1_000_001)), {key: "Enter"});
        expect(screen.getByTestId("message-too-big").textContent).toMatch(/^This message is 1,000,001 characters long; a message can hold at most 1,000,000/);
        expect(backend.requests).toHaveLength(0);
        expect(screen.queryByTestId("message-user")).toBeNull();

        fireEvent.keyDown(type("A short one"), {key: "Enter"});
        expect(screen.queryByTestId("message-too-big")).toBeNull();
        expect(backend.requests).toHaveLength(1);
    });
});
