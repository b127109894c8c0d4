import {act, cleanup, fireEvent, render, screen, waitFor, within} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {App} from "./App.js";
import {setBackend} from "./backend/current.js";
import {ApiError} from "./backend/errors.js";
import {useChatsNotSaved} from "./stores/useChatsNotSaved.js";
import {useConnection} from "./stores/useConnection.js";
import {useSignedIn} from "./stores/useSignedIn.js";
import {flushConversationSaves} from "./stores/useConversations.js";
import {health, type FakeBackend} from "./testing/fakes.js";
import {nextFrame} from "./testing/frames.js";
import {freshChatState} from "./testing/freshChatState.js";

function type(text: string): HTMLTextAreaElement {
    const input = screen.getByTestId("composer-input") as HTMLTextAreaElement;
    fireEvent.change(input, {target: {value: text}});
    return input;
}

describe("App", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = freshChatState({apiKey: null, status: "checking", health: null, models: [], error: null});
        useChatsNotSaved.setState({tooLarge: {}});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("shows the model and health, streams an answer with stats, and stops one", async () => {
        render(<App />);
        // The model's name, once: in the picker.
        await waitFor(() => expect((screen.getByTestId("model-select") as HTMLSelectElement).selectedOptions[0]!.textContent).toMatch(/^stories260K /));
        expect(screen.queryByTestId("model-name")).toBeNull();
        expect(screen.getByTestId("health-indicator").dataset.status).toBe("ok");
        expect(screen.getAllByTestId("conversation-item")).toHaveLength(1);

        const input = type("Once upon a time");
        fireEvent.keyDown(input, {key: "Enter"});
        expect(screen.getByTestId("message-user").textContent).toBe("Once upon a time");
        expect(input.value).toBe("");
        expect(screen.getByTestId("stop-button")).toBeTruthy();

        await act(async () => {
            backend.delta("There was");
            await nextFrame();
        });
        expect(screen.getByTestId("message-assistant").textContent).toContain("There was");
        await act(async () => {
            backend.delta(" a **cat**");
            await nextFrame();
        });
        expect(screen.getByTestId("message-assistant").querySelector("strong")?.textContent).toBe("cat");
        await act(async () => backend.complete());
        expect(screen.getByTestId("answer-stats").textContent).toContain("500 tok/s");
        expect(screen.getByTestId("answer-stats").textContent).toContain("4 cached");
        expect(screen.getByTestId("conversation-item").textContent).toContain("Once upon a time");

        // Sent at once with Enter (a click on Send this soon after the answer ended is taken as aimed at Stop).
        fireEvent.keyDown(type("Tell me more"), {key: "Enter"});
        act(() => backend.delta("More"));
        await act(async () => fireEvent.click(screen.getByTestId("stop-button")));
        const answers = screen.getAllByTestId("message-assistant");
        expect(answers).toHaveLength(2);
        expect(answers[1]!.querySelector("[data-testid=aborted-tag]")).toBeTruthy();
        expect(screen.getByTestId("send-button")).toBeTruthy();
    });

    it("offers Sign out only where the server asks for a key (one without auth has nobody signed in)", async () => {
        useSignedIn.setState({signedIn: null});
        backend.signedIn = {...backend.signedIn, keyRequired: false};
        render(<App />);
        await waitFor(() => expect(useSignedIn.getState().signedIn?.keyRequired).toBe(false));
        expect(screen.queryByTestId("sign-out")).toBeNull();
        act(() => useSignedIn.setState({signedIn: {...backend.signedIn, keyRequired: true}}));
        expect(screen.getByTestId("sign-out")).toBeTruthy();
    });

    it("Shift+Enter does not send", () => {
        render(<App />);
        const input = type("line one");
        fireEvent.keyDown(input, {key: "Enter", shiftKey: true});
        expect(backend.requests).toHaveLength(0);
    });

    it("offers regenerate on the last answer only", async () => {
        render(<App />);
        fireEvent.keyDown(type("a"), {key: "Enter"});
        await act(async () => backend.complete({content: "one"}));
        fireEvent.keyDown(type("b"), {key: "Enter"});
        await act(async () => backend.complete({content: "two"}));
        expect(screen.getAllByTestId("regenerate-button")).toHaveLength(1);
        fireEvent.click(screen.getByTestId("regenerate-button"));
        expect(backend.requests[2]!.messages.map((m) => m.content)).toEqual(["a", "one", "b"]);
        await act(async () => backend.complete({content: "three"}));
        expect(screen.getAllByTestId("message-assistant").map((m) => m.textContent)).toEqual([
            expect.stringContaining("one"),
            expect.stringContaining("three")
        ]);
    });

    it("edits the system prompt and max tokens of the chat", () => {
        render(<App />);
        fireEvent.click(screen.getByTestId("settings-toggle"));
        fireEvent.change(screen.getByTestId("system-prompt-input"), {target: {value: "Be brief."}});
        fireEvent.change(screen.getByTestId("max-tokens-input"), {target: {value: "999"}});
        fireEvent.change(screen.getByTestId("temperature-input"), {target: {value: "5"}}); // out of range: ignored
        fireEvent.keyDown(type("hi"), {key: "Enter"});
        expect(backend.requests[0]).toMatchObject({
            messages: [
                {role: "system", content: "Be brief."},
                {role: "user", content: "hi"}
            ],
            params: {max_tokens: 999, temperature: 0.7}
        });
    });

    it("gives the focus back: to the settings toggle when Esc closes the settings, to the composer after an edit is sent", async () => {
        render(<App />);
        const toggle = screen.getByTestId("settings-toggle");
        toggle.focus();
        fireEvent.click(toggle);
        const prompt = screen.getByTestId("system-prompt-input");
        prompt.focus();
        fireEvent.keyDown(prompt, {key: "Escape"});
        expect(screen.queryByTestId("chat-settings")).toBeNull();
        expect(document.activeElement).toBe(toggle);

        fireEvent.keyDown(type("a"), {key: "Enter"});
        await act(async () => backend.complete({content: "one"}));
        fireEvent.click(screen.getByTestId("edit-button"));
        const edit = screen.getByTestId("edit-input");
        expect(document.activeElement).toBe(edit);
        fireEvent.change(edit, {target: {value: "b"}});
        fireEvent.keyDown(edit, {key: "Enter"});
        expect(document.activeElement).toBe(screen.getByTestId("composer-input"));
        await act(async () => backend.complete({content: "two"}));
    });

    it("starts new chats and deletes them", async () => {
        render(<App />);
        fireEvent.keyDown(type("first"), {key: "Enter"});
        await act(async () => backend.complete({content: "x"}));
        fireEvent.click(screen.getByTestId("new-chat"));
        expect(screen.getAllByTestId("conversation-item")).toHaveLength(2);
        expect(screen.getByTestId("chat-empty")).toBeTruthy();
        fireEvent.click(screen.getAllByTestId("delete-conversation")[1]!);
        expect(screen.getAllByTestId("conversation-item")).toHaveLength(1);
    });

    it("deleting the open chat leaves the focus on Undo (not the message box of the chat opened instead)", async () => {
        render(<App />);
        fireEvent.keyDown(type("first"), {key: "Enter"});
        await act(async () => backend.complete({content: "x"}));
        fireEvent.click(screen.getByTestId("new-chat"));
        fireEvent.keyDown(type("second"), {key: "Enter"});
        await act(async () => backend.complete({content: "y"}));
        // The open chat's ×, pressed from the keyboard: the button goes with its row, and the focus with it.
        const open = screen.getAllByTestId("conversation-item").find((item) => item.className.includes("active"))!;
        const remove = within(open).getByTestId("delete-conversation");
        remove.focus();
        await act(async () => fireEvent.click(remove));
        expect(document.activeElement).toBe(screen.getByTestId("undo-delete-button"));
    });

    it("asks for an API key on 401 and shows server errors under the answer", async () => {
        backend.modelsImpl = async () => {
            throw new ApiError("Invalid API key", 401);
        };
        render(<App />);
        await waitFor(() => expect(screen.getByTestId("api-key-screen")).toBeTruthy());
        backend.modelsImpl = async () => [];
        fireEvent.change(screen.getByTestId("api-key-input"), {target: {value: "sk-1"}});
        await act(async () => fireEvent.click(screen.getByTestId("api-key-save")));
        expect(screen.queryByTestId("api-key-screen")).toBeNull();
        expect(useConnection.getState().apiKey).toBe("sk-1");

        fireEvent.keyDown(type("hi"), {key: "Enter"});
        await act(async () => backend.fail(new ApiError("prompt is longer than the context", 400)));
        expect(screen.getByTestId("answer-error").textContent).toBe("prompt is longer than the context");
    });
    it("asks for the key in a modal dialog: named by its heading, the labelled field focused, Tab kept inside, the app behind inert", async () => {
        backend.modelsImpl = async () => {
            throw new ApiError("Invalid API key", 401);
        };
        const {container} = render(<App />);
        const dialog = await screen.findByRole("dialog", {name: "API key"});
        expect(dialog.getAttribute("aria-modal")).toBe("true");
        const field = screen.getByLabelText("Key");
        expect(field).toBe(screen.getByTestId("api-key-input"));
        expect(document.activeElement).toBe(field);
        // Everything else on the page is inert; the dialog is outside it.
        const app = container.querySelector(".app")!;
        expect(app.hasAttribute("inert")).toBe(true);
        expect(app.contains(dialog)).toBe(false);

        // With the only control there, Tab stays on it; with Connect too, Tab and Shift+Tab go round the two.
        fireEvent.keyDown(field, {key: "Tab"});
        expect(document.activeElement).toBe(field);
        fireEvent.change(field, {target: {value: "sk-1"}});
        const connect = screen.getByTestId("api-key-save");
        fireEvent.keyDown(field, {key: "Tab", shiftKey: true});
        expect(document.activeElement).toBe(connect);
        fireEvent.keyDown(connect, {key: "Tab"});
        expect(document.activeElement).toBe(field);

        backend.modelsImpl = async () => [];
        await act(async () => fireEvent.click(connect));
        expect(screen.queryByRole("dialog")).toBeNull();
        expect(app.hasAttribute("inert")).toBe(false);
    });

    it("while the server is not reachable, keeps the text and Send waits, saying why; Send comes back with the server", async () => {
        render(<App />);
        await waitFor(() => expect(screen.getByTestId("health-indicator").dataset.status).toBe("ok"));
        backend.healthImpl = async () => {
            throw new ApiError("The KVShare server is not reachable (stopped, or moved to another address)", null, null, "unreachable");
        };
        await act(async () => useConnection.getState().refresh());
        const input = type("Still here?");
        fireEvent.keyDown(input, {key: "Enter"});
        expect(backend.requests).toHaveLength(0);
        expect(input.value).toBe("Still here?");
        const sendButton = screen.getByTestId("send-button") as HTMLButtonElement;
        expect(sendButton.disabled).toBe(true);
        const reason = screen.getByTestId("composer-unavailable");
        expect(reason.textContent).toBe("The server is not reachable — your text is kept. Send comes back as soon as the server answers again.");
        expect(sendButton.getAttribute("aria-describedby")).toBe(reason.id);

        backend.healthImpl = async () => health;
        await act(async () => useConnection.getState().refresh());
        expect(screen.queryByTestId("composer-unavailable")).toBeNull();
        fireEvent.keyDown(input, {key: "Enter"});
        expect(backend.requests).toHaveLength(1);
        await act(async () => backend.complete({content: "yes"}));
    });

    it("the drawer (narrow windows) takes the focus and leaves the page behind inert; Esc closes it back to the menu button", () => {
        const {container} = render(<App />);
        const menu = screen.getByRole("button", {name: "Chats and pages"});
        expect(menu.getAttribute("aria-expanded")).toBe("false");
        menu.focus();
        fireEvent.click(menu);
        const drawer = screen.getByRole("dialog", {name: "Chats and pages"});
        expect(drawer.getAttribute("aria-modal")).toBe("true");
        expect(menu.getAttribute("aria-expanded")).toBe("true");
        expect(menu.getAttribute("aria-controls")).toBe(drawer.id);
        expect(document.activeElement).toBe(drawer);
        expect(container.querySelector("main")!.hasAttribute("inert")).toBe(true);

        fireEvent.keyDown(document.activeElement!, {key: "Escape"});
        expect(screen.queryByRole("dialog")).toBeNull();
        expect(menu.getAttribute("aria-expanded")).toBe("false");
        expect(container.querySelector("main")!.hasAttribute("inert")).toBe(false);
        expect(document.activeElement).toBe(menu);
    });

    it("names the settings toggle's state and panel, and each message's speaker and buttons for screen readers", async () => {
        render(<App />);
        const toggle = screen.getByRole("button", {name: "Settings"});
        expect(toggle.getAttribute("aria-expanded")).toBe("false");
        fireEvent.click(toggle);
        expect(toggle.getAttribute("aria-expanded")).toBe("true");
        expect(document.getElementById(toggle.getAttribute("aria-controls")!)).toBe(screen.getByTestId("chat-settings"));
        fireEvent.click(toggle);

        fireEvent.keyDown(type("Lily"), {key: "Enter"});
        await act(async () => backend.complete({content: "She ran."}));
        expect(
            within(screen.getByRole("log"))
                .getAllByRole("heading", {level: 2})
                .map((h) => h.textContent)
        ).toEqual(["You said:", "Assistant said:"]);
        // The chat list's stretches of time are headings too, in the sidebar.
        expect(
            within(screen.getByRole("navigation", {name: "Chats"}))
                .getAllByRole("heading", {level: 2})
                .map((h) => h.textContent)
        ).toEqual(["Today"]);
        for (const name of ["Edit question", "Copy answer", "Regenerate answer"]) expect(screen.getByRole("button", {name})).toBeTruthy();
    });

    it("names the browser tab after the open chat, and the app alone for a new one", async () => {
        render(<App />);
        expect(document.title).toBe("KVShare");
        fireEvent.keyDown(type("Lily and the fox"), {key: "Enter"});
        expect(document.title).toBe("Lily and the fox — KVShare");
        await act(async () => backend.complete({content: "ok"}));
        fireEvent.click(screen.getByTestId("new-chat"));
        expect(document.title).toBe("KVShare");
    });

    it("says at a chat the server refused to save for its size that it is kept in this page only, and asks before a reload", async () => {
        render(<App />);
        await waitFor(() => expect(screen.getByTestId("health-indicator").dataset.status).toBe("ok"));
        backend.adminFake.failing.set(
            "saveConversation",
            new ApiError("The request body is larger than the limit of 4194304 bytes.", 413, "invalid_request_error", "request_too_large")
        );
        fireEvent.keyDown(type("A very long paste"), {key: "Enter"});
        await act(async () => {
            backend.complete({content: "ok"});
            await flushConversationSaves();
        });
        expect(screen.getByTestId("chat-not-saved").textContent).toMatch(/too large for the server to save \(The request body is larger/);
        const reload = new Event("beforeunload", {cancelable: true});
        window.dispatchEvent(reload);
        expect(reload.defaultPrevented).toBe(true);
        // Another chat saved meanwhile changes nothing for this one.
        fireEvent.click(screen.getByTestId("new-chat"));
        expect(screen.queryByTestId("chat-not-saved")).toBeNull();
        fireEvent.click(screen.getAllByTestId("conversation-item")[1]!.querySelector("button")!);
        expect(screen.getByTestId("chat-not-saved")).toBeTruthy();

        // Saved after all (a server with a higher limit): the notice and the question go.
        backend.adminFake.failing.clear();
        fireEvent.keyDown(type("More"), {key: "Enter"});
        await act(async () => {
            backend.complete({content: "saved"});
            await flushConversationSaves();
        });
        expect(screen.queryByTestId("chat-not-saved")).toBeNull();
        const after = new Event("beforeunload", {cancelable: true});
        window.dispatchEvent(after);
        expect(after.defaultPrevented).toBe(false);
    });
});
