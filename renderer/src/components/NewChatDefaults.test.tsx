import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {CHAT_DEFAULTS_STORAGE} from "../lib/chatDefaults.js";
import {THEME_STORAGE} from "../lib/theme.js";
import {forgetChatsHere} from "../stores/signOut.js";
import {selectActiveConversation, useConversations} from "../stores/useConversations.js";
import {freshChatState} from "../testing/freshChatState.js";
import {ChatSettings} from "./ChatSettings.js";

const active = () => selectActiveConversation(useConversations.getState())!;

describe("settings for new chats", () => {
    beforeEach(() => {
        freshChatState({status: "ok", error: null});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("a chat's settings become what new chats start with, until put back to the app's; a sign-out forgets them", () => {
        const first = useConversations.getState().create();
        useConversations.getState().setSystemPrompt(first, "You are the ward's assistant.");
        useConversations.getState().setParams(first, {temperature: 0.2, max_tokens: 900});
        const {rerender} = render(<ChatSettings conversation={active()} onClose={() => undefined} />);
        act(() => fireEvent.click(screen.getByRole("button", {name: "Use for new chats"})));
        expect(screen.getByTestId("new-chat-defaults-said").textContent).toBe("New chats start with these settings.");

        useConversations.getState().addMessage(first, {role: "user", content: "a question"});
        const second = useConversations.getState().create();
        expect(second).not.toBe(first);
        expect(active()).toMatchObject({systemPrompt: "You are the ward's assistant.", params: {temperature: 0.2, max_tokens: 900}});

        rerender(<ChatSettings conversation={active()} onClose={() => undefined} />);
        act(() => fireEvent.click(screen.getByRole("button", {name: "Back to the app's"})));
        useConversations.getState().addMessage(second, {role: "user", content: "another"});
        useConversations.getState().create();
        expect(active()).toMatchObject({systemPrompt: "", params: {temperature: 0.7, max_tokens: 256}});

        act(() => fireEvent.click(screen.getByRole("button", {name: "Use for new chats"})));
        expect(localStorage.getItem(CHAT_DEFAULTS_STORAGE)).not.toBeNull();
        // Another person's browser session starts with the app's settings; the colours picked are the screen's, and stay.
        localStorage.setItem(THEME_STORAGE, "dark");
        forgetChatsHere("all");
        expect(localStorage.getItem(CHAT_DEFAULTS_STORAGE)).toBeNull();
        expect(localStorage.getItem(THEME_STORAGE)).toBe("dark");
    });
});
