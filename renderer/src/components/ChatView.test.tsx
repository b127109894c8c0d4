import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {APP_USER} from "../backend/whoami.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {useAnsweringElsewhere} from "../stores/answeringElsewhere.js";
import {useChatStream} from "../stores/useChatStream.js";
import {useConnection} from "../stores/useConnection.js";
import {flushConversationSaves, selectActiveConversation, useConversations} from "../stores/useConversations.js";
import {FakeBackend} from "../testing/fakes.js";
import {nextFrame} from "../testing/frames.js";
import {ChatView} from "./ChatView.js";

function View() {
    return <ChatView conversation={useConversations(selectActiveConversation)} />;
}

describe("ChatView: a question without an answer", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        localStorage.clear();
        backend = new FakeBackend();
        setBackend(backend);
        // The app's own key, as the server said: the chats are saved to the server.
        useSignedIn.setState({signedIn: APP_USER});
        useConversations.setState({conversations: [], activeId: null, syncError: null, removedIds: []});
        useAnsweringElsewhere.setState({entries: {}});
        useConnection.setState({status: "ok"});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("offers to answer it, unless another tab of this browser is answering it now", async () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        act(() => useAnsweringElsewhere.setState({entries: {[id]: Date.now()}}));
        render(<View />);
        expect(screen.getByTestId("answered-elsewhere").textContent).toMatch(/another tab/);
        expect(screen.queryByTestId("answer-button")).toBeNull();
        // That tab is done (or gone): the question is this tab's to answer.
        act(() => useAnsweringElsewhere.setState({entries: {[id]: Date.now() - 60_000}}));
        const button = screen.getByTestId("answer-button");
        await act(async () => button.click());
        expect(backend.requests.at(-1)!.messages).toEqual([{role: "user", content: "q"}]);
        await act(async () => {
            backend.delta("a");
            backend.complete();
        });
        expect(useConversations.getState().conversations[0]!.messages.map((m) => m.content)).toEqual(["q", "a"]);
    });

    it("waits, saying why, while the server does not answer, and is offered again when it does", async () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        act(() => useConnection.setState({status: "error"}));
        render(<View />);
        const button = screen.getByTestId("answer-button") as HTMLButtonElement;
        expect(button.disabled).toBe(true);
        expect(button.title).toMatch(/not reachable/);
        fireEvent.click(button);
        expect(backend.requests).toHaveLength(0);
        act(() => useConnection.setState({status: "ok"}));
        expect(button.disabled).toBe(false);
        await act(async () => button.click());
        expect(backend.requests).toHaveLength(1);
    });
});

/** A chat of `turns` questions and answers. */
function chatWith(turns: number, prefix: string): string {
    const id = useConversations.getState().create();
    for (let i = 0; i < turns; i++) {
        useConversations.getState().addMessage(id, {role: "user", content: `${prefix} question ${i}`});
        useConversations.getState().addMessage(id, {role: "assistant", content: `${prefix} answer ${i}`});
    }
    // The next create() must start a new chat, not reuse this one.
    return id;
}

/**
 * happy-dom lays nothing out: the chat's scroller gets a height of 400 px and content of 100 px per message
 * plus 1 px per character of the messages, so that streamed text makes it grow.
 */
function layOutChatView(): () => void {
    const chatView = (el: Element) => el.classList.contains("chat-view");
    Object.defineProperty(HTMLElement.prototype, "scrollHeight", {
        configurable: true,
        get(this: HTMLElement) {
            return chatView(this) ? this.querySelectorAll(".message").length * 100 + (this.querySelector(".messages")?.textContent?.length ?? 0) : 0;
        }
    });
    Object.defineProperty(HTMLElement.prototype, "clientHeight", {
        configurable: true,
        get(this: HTMLElement) {
            return chatView(this) ? 400 : 0;
        }
    });
    return () => {
        delete (HTMLElement.prototype as {scrollHeight?: number}).scrollHeight;
        delete (HTMLElement.prototype as {clientHeight?: number}).clientHeight;
    };
}

describe("ChatView: the newest message in sight", () => {
    let backend: FakeBackend;
    /** Streams text into the answer and lets it be drawn. */
    const streamed = (text: string) =>
        act(async () => {
            backend.delta(text);
            await nextFrame();
        });
    let restoreLayout: () => void;
    beforeEach(() => {
        localStorage.clear();
        backend = new FakeBackend();
        setBackend(backend);
        useConversations.setState({conversations: [], activeId: null, syncError: null, removedIds: []});
        useChatStream.setState({answers: {}});
        restoreLayout = layOutChatView();
    });
    afterEach(async () => {
        cleanup();
        restoreLayout();
        // Saves still on their way go to this test's fake server, not to the network.
        await flushConversationSaves();
        setBackend(null);
    });

    it("opens every chat at its newest message, though the last one was scrolled up, and follows its answer", async () => {
        const first = chatWith(5, "fox");
        const second = chatWith(5, "frog");
        act(() => useConversations.getState().select(first));
        render(<View />);
        const scroller = screen.getByTestId("chat-view");
        expect(scroller.scrollTop).toBe(scroller.scrollHeight);
        expect(screen.queryByTestId("jump-to-latest")).toBeNull();

        // Scrolled to the top of the first chat to read it again…
        scroller.scrollTop = 0;
        fireEvent.scroll(scroller);
        expect(screen.getByTestId("jump-to-latest")).toBeTruthy();

        // …the second chat still opens at its newest message, and follows the answer as it streams.
        act(() => useConversations.getState().select(second));
        expect(scroller.scrollTop).toBe(scroller.scrollHeight);
        expect(screen.queryByTestId("jump-to-latest")).toBeNull();
        let sending!: Promise<void>;
        act(() => void (sending = useChatStream.getState().send("And then?")));
        await streamed("The frog jumped");
        expect(scroller.scrollTop).toBe(scroller.scrollHeight);
        await streamed(" into the pond and swam");
        expect(scroller.scrollTop).toBe(scroller.scrollHeight);

        // Scrolled up in this chat while it streams: the text no longer moves the view, until "Jump to latest".
        scroller.scrollTop = 100;
        fireEvent.scroll(scroller);
        await streamed(" far away");
        expect(scroller.scrollTop).toBe(100);
        fireEvent.click(screen.getByTestId("jump-to-latest"));
        expect(scroller.scrollTop).toBe(scroller.scrollHeight);
        await streamed(" and back.");
        expect(scroller.scrollTop).toBe(scroller.scrollHeight);
        await act(async () => {
            backend.complete();
            await sending;
        });
    });

    it("is a log for screen readers, busy while an answer is written", () => {
        chatWith(1, "fox");
        render(<View />);
        const log = screen.getByRole("log");
        expect(log.getAttribute("aria-live")).toBe("polite");
        expect(log.getAttribute("aria-busy")).toBe("false");
        act(() => void useChatStream.getState().send("more"));
        expect(log.getAttribute("aria-busy")).toBe("true");
        act(() => useChatStream.getState().stop(useConversations.getState().activeId!));
    });

    it("has a log of its own for every chat: another chat opened is not announced as new messages", () => {
        const first = chatWith(1, "fox");
        chatWith(1, "frog");
        render(<View />);
        const log = screen.getByRole("log");
        act(() => useConversations.getState().select(first));
        expect(screen.getByRole("log")).not.toBe(log);
        expect(log.isConnected).toBe(false);
    });

    it("is headed by the chat's title for screen readers, as the other pages are by theirs", () => {
        chatWith(1, "fox");
        render(<View />);
        const title = useConversations.getState().conversations.find((c) => c.id === useConversations.getState().activeId)!.title;
        expect(screen.getByRole("heading", {level: 1}).textContent).toBe(title);
    });
});

describe("ChatView: messages", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        localStorage.clear();
        backend = new FakeBackend();
        setBackend(backend);
        useConversations.setState({conversations: [], activeId: null, syncError: null, removedIds: []});
        useChatStream.setState({answers: {}});
    });
    afterEach(async () => {
        cleanup();
        await flushConversationSaves();
        setBackend(null);
    });

    it("notes under an answer how many earlier messages were left out to fit the context", () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        const hit = {mode: "prefix" as const, prompt_tokens: 2000, reused_tokens: 0, computed_tokens: 2000, recomputed_tokens: 0};
        useConversations.getState().addMessage(id, {role: "assistant", content: "a", hit: {...hit, dropped_messages: 4}});
        useConversations.getState().addMessage(id, {role: "user", content: "q2"});
        useConversations.getState().addMessage(id, {role: "assistant", content: "a2", hit});
        render(<View />);
        expect(screen.getAllByTestId("context-note").map((n) => n.textContent)).toEqual(["4 earlier messages were left out to fit the model's context."]);
    });

    it("says in the edit box that sending keeps the current version; Enter sends the edit, Shift+Enter is a new line", async () => {
        chatWith(2, "fox");
        render(<View />);
        fireEvent.click(screen.getAllByTestId("edit-button")[0]!);
        expect(screen.getByTestId("edit-keeps").textContent).toBe(
            "Sending starts a new version; the current one (this question and the 3 messages after it) is kept: switch back to it with ‹ ›."
        );
        const input = screen.getByTestId("edit-input") as HTMLTextAreaElement;
        fireEvent.change(input, {target: {value: "Once upon a time"}});
        fireEvent.keyDown(input, {key: "Enter", shiftKey: true});
        expect(backend.requests).toHaveLength(0);
        await act(async () => fireEvent.keyDown(input, {key: "Enter"}));
        expect(backend.requests[0]!.messages).toEqual([{role: "user", content: "Once upon a time"}]);
        await act(async () => backend.complete({content: "there was"}));
        await act(async () => fireEvent.click(screen.getByTestId("edit-button")));
        expect(screen.getByTestId("edit-keeps").textContent).toContain("(this question and the message after it)");
    });

    it("shows the versions of an edited question, switches between them with the keyboard, and not while the chat is answered", async () => {
        chatWith(2, "fox");
        render(<View />);
        fireEvent.click(screen.getAllByTestId("edit-button")[1]!);
        fireEvent.change(screen.getByTestId("edit-input"), {target: {value: "Once upon a time"}});
        await act(async () => fireEvent.click(screen.getByTestId("edit-send")));
        // While the new version is answered, the versions cannot be switched (the answer goes to the one shown).
        expect((screen.getByRole("button", {name: "Previous version"}) as HTMLButtonElement).disabled).toBe(true);
        await act(async () => backend.complete({content: "there was a fox"}));
        const texts = () => [...document.querySelectorAll(".bubble, .answer")].map((e) => e.textContent.trim());
        expect(texts()).toEqual(["fox question 0", "fox answer 0", "Once upon a time", "there was a fox"]);
        expect(screen.getByTestId("version-label").textContent).toBe("2/2");
        expect(screen.getByTestId("version-switcher").textContent).toContain("Version 2 of 2");
        expect((screen.getByRole("button", {name: "Next version"}) as HTMLButtonElement).disabled).toBe(true);

        const previous = screen.getByRole("button", {name: "Previous version"});
        previous.focus();
        await act(async () => fireEvent.click(previous));
        expect(texts()).toEqual(["fox question 0", "fox answer 0", "fox question 1", "fox answer 1"]);
        expect(screen.getByTestId("version-label").textContent).toBe("1/2");
        // The question shown is another element now: its switcher has the focus (Previous is disabled: Next).
        expect(document.activeElement).toBe(screen.getByRole("button", {name: "Next version"}));
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Next version"})));
        expect(texts()).toEqual(["fox question 0", "fox answer 0", "Once upon a time", "there was a fox"]);
    });

    it("edits an answer by hand as a new version, marked edited, without asking the model; Continue goes on from it", async () => {
        chatWith(2, "fox");
        render(<View />);
        const answers = () => [...document.querySelectorAll(".answer")].map((e) => e.textContent.trim());
        fireEvent.click(screen.getAllByTestId("edit-answer-button")[0]!);
        expect(screen.getByTestId("edit-keeps").textContent).toBe(
            "Saving starts a new version; the current one (this answer and the 2 messages after it) is kept: switch back to it with ‹ ›. Ctrl+Enter saves."
        );
        const input = screen.getByTestId("edit-input") as HTMLTextAreaElement;
        expect(input.value).toBe("fox answer 0");
        // Enter is a new line in an answer; Ctrl+Enter saves; Esc cancels and gives the focus back to Edit.
        fireEvent.keyDown(input, {key: "Escape"});
        expect(document.activeElement).toBe(screen.getAllByTestId("edit-answer-button")[0]);
        fireEvent.click(screen.getAllByTestId("edit-answer-button")[0]!);
        fireEvent.change(screen.getByTestId("edit-input"), {target: {value: "The fox was red and  \n"}});
        fireEvent.keyDown(screen.getByTestId("edit-input"), {key: "Enter"});
        expect(screen.getByTestId("edit-input")).toBeTruthy();
        await act(async () => fireEvent.keyDown(screen.getByTestId("edit-input"), {key: "Enter", ctrlKey: true}));
        expect(backend.requests).toHaveLength(0);
        expect(answers()).toEqual(["The fox was red and"]);
        expect(screen.getByTestId("edited-tag").textContent).toBe("edited");
        expect(screen.getByTestId("version-label").textContent).toBe("2/2");
        // The model goes on from the text written by hand.
        await act(async () => fireEvent.click(screen.getByTestId("continue-button")));
        expect(backend.requests[0]!.messages.at(-1)).toEqual({role: "assistant", content: "The fox was red and"});
        await act(async () => backend.complete({content: " quick."}));
        expect(answers()).toEqual(["The fox was red and quick."]);
        await flushConversationSaves();
        const saved = backend.adminFake.conversations.get(useConversations.getState().activeId!)!;
        expect(saved.messages.map((m) => m.content)).toEqual(["fox question 0", "The fox was red and quick."]);
        // The model's answer and what followed it are kept as the older version.
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Previous version"})));
        expect(answers()).toEqual(["fox answer 0", "fox answer 1"]);
    });

    it("hides a regenerated answer while the new one is written, then shows its versions", async () => {
        chatWith(1, "fox");
        render(<View />);
        await act(async () => fireEvent.click(screen.getByTestId("regenerate-button")));
        expect(screen.queryByText("fox answer 0")).toBeNull();
        expect(screen.getAllByTestId("message-assistant")).toHaveLength(1);
        await act(async () => backend.complete({content: "a new answer"}));
        expect(screen.getAllByTestId("message-assistant").map((m) => m.querySelector(".answer")!.textContent.trim())).toEqual(["a new answer"]);
        expect(screen.getByTestId("version-label").textContent).toBe("2/2");
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Previous version"})));
        expect(screen.getByText("fox answer 0")).toBeTruthy();
    });

    it("announces a finished answer without its figures: the stats are there to look up, how it ended is said", () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        useConversations.getState().addMessage(id, {
            role: "assistant",
            content: "Once upon",
            stats: {finishReason: "length", tokensPerSecond: 40, ttftMs: 120, promptTokens: 9, completionTokens: 2}
        });
        render(<View />);
        const stats = screen.getByTestId("answer-stats");
        const silent = (element: Element) => element.closest('[aria-live="off"]') !== null;
        const figures = [...stats.querySelectorAll(".stat")];
        expect(figures.map((figure) => figure.textContent)).toEqual(["40.0 tok/s", "TTFT 120 ms", "9 prompt", "2 generated"]);
        expect(figures.every(silent)).toBe(true);
        expect(silent(screen.getByText("max tokens"))).toBe(false);
        expect(silent(screen.getByText("Once upon"))).toBe(false);
    });

    it("branches a chat at an answer: a new chat with the version shown up to there and the same settings, opened and saved", async () => {
        const id = chatWith(2, "fox");
        // The first answer regenerated: two versions of the chat from there, the new one shown.
        const firstAnswer = useConversations.getState().conversations.find((c) => c.id === id)!.messages[1]!;
        useConversations.getState().addVersion(id, firstAnswer.id, {role: "assistant", content: "fox answer 0, again"});
        useConversations.getState().setSystemPrompt(id, "Be brief.");
        useConversations.getState().setParams(id, {temperature: 0.1});
        render(<View />);
        // Questions can be copied too.
        expect(screen.getAllByRole("button", {name: "Copy question"})).toHaveLength(1);
        const [first] = screen.getAllByRole("button", {name: "New chat from here"});
        act(() => first!.click());
        const branched = selectActiveConversation(useConversations.getState())!;
        expect(branched.id).not.toBe(id);
        // The version shown alone.
        expect(branched.messages.map((m) => m.content)).toEqual(["fox question 0", "fox answer 0, again"]);
        expect(branched.messages.some((m) => m.alternatives !== undefined)).toBe(false);
        expect(branched).toMatchObject({systemPrompt: "Be brief.", params: {temperature: 0.1}, title: "fox question 0 (branch)"});
        // The chat it came from is as it was.
        expect(useConversations.getState().conversations.find((c) => c.id === id)!.messages).toHaveLength(2);
        await flushConversationSaves();
        expect(backend.adminFake.calls.some((c) => c.op === "saveConversation" && (c.input as {id: string}).id === branched.id)).toBe(true);
    });

    it("says in its place that a message cannot be shown (a record of another shape), and shows the rest of the chat", () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        // As a stored copy of another version, or a crafted file, might hold it.
        useConversations
            .getState()
            .addMessage(id, {role: "assistant", content: "a", stats: {finishReason: "stop", tokensPerSecond: "fast" as unknown as number}});
        useConversations.getState().addMessage(id, {role: "user", content: "still here"});
        const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
        render(<View />);
        quiet.mockRestore();
        expect(screen.getByTestId("message-unshown").textContent).toBe("This message could not be shown.");
        expect(screen.getAllByTestId("message-user").map((m) => m.textContent)).toEqual(["q", "still here"]);
    });

    it("offers no Copy on an answer that failed before any text, and the generated count of a stopped one", () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        useConversations.getState().addMessage(id, {role: "assistant", content: "Once", stats: {finishReason: "aborted", elapsedMs: 900, streamedPieces: 7}});
        useConversations.getState().addMessage(id, {role: "user", content: "q2"});
        useConversations.getState().addMessage(id, {role: "assistant", content: "", error: "boom"});
        render(<View />);
        const [stopped, failed] = screen.getAllByTestId("message-assistant");
        expect(stopped!.querySelector("[data-testid=answer-stats]")!.textContent).toContain("~7 generated");
        expect(stopped!.querySelector("[data-testid=copy-button]")).toBeTruthy();
        expect(failed!.querySelector("[data-testid=copy-button]")).toBeNull();
        expect(failed!.querySelector("[data-testid=regenerate-button]")).toBeTruthy();
    });

    it("names what changes for screen readers: the wait for the model, and Copy once it copied", async () => {
        const id = useConversations.getState().create();
        useConversations.getState().addMessage(id, {role: "user", content: "q"});
        useConversations.getState().addMessage(id, {role: "assistant", content: "Once upon a time"});
        render(<View />);
        Object.defineProperty(navigator, "clipboard", {value: {writeText: () => Promise.resolve()}, configurable: true});
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Copy answer"})));
        expect(screen.getByTestId("copy-button").textContent).toBe("Copied");
        expect(screen.getByRole("button", {name: "Copied"})).toBe(screen.getByTestId("copy-button"));
        act(() => void useChatStream.getState().send("And then?"));
        // Outside the log, which is busy (and not read out) while the answer is written.
        const waiting = screen.getByTestId("chat-waiting");
        expect(waiting.getAttribute("role")).toBe("status");
        expect(waiting.textContent).toBe("Waiting for the model");
        expect(waiting.closest("[role=log]")).toBeNull();
        act(() => useChatStream.getState().stop(id));
    });
});
