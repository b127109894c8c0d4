import {act, cleanup, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {useAnsweringElsewhere} from "../stores/answeringElsewhere.js";
import {selectActiveConversation, useConversations} from "../stores/useConversations.js";
import {FakeBackend} from "../testing/fakes.js";
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
        useConversations.setState({conversations: [], activeId: null, syncError: null, removedIds: []});
        useAnsweringElsewhere.setState({entries: {}});
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
});
