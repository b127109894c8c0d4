import {act, cleanup, fireEvent, render, screen, waitFor} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {App} from "./App.js";
import {API_KEY_STORAGE, saveApiKey} from "./backend/apiKey.js";
import {setBackend} from "./backend/current.js";
import {CHATS_IN_BROWSER} from "./lib/chatsKept.js";
import {keptResults} from "./lib/recentResults.js";
import {CONVERSATIONS_STORAGE, useConversations} from "./stores/useConversations.js";
import {useSignedIn} from "./stores/useSignedIn.js";
import {useView} from "./stores/useView.js";
import {type FakeBackend} from "./testing/fakes.js";
import {freshChatState} from "./testing/freshChatState.js";

function send(text: string): void {
    const input = screen.getByTestId("composer-input") as HTMLTextAreaElement;
    fireEvent.change(input, {target: {value: text}});
    fireEvent.keyDown(input, {key: "Enter"});
}

describe("App with an issued key (a student's): the chat alone", () => {
    let backend: FakeBackend;
    beforeEach(async () => {
        backend = freshChatState({apiKey: null, status: "checking", health: null, models: [], error: null}).asMember("student-ana", "class-4b");
        useSignedIn.setState({signedIn: null});
        saveApiKey("sk-issued-ana");
        useView.getState().show("chat");
        render(<App />);
        await screen.findByTestId("signed-in-as");
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("says who is signed in, offers neither the dashboard nor the settings, and asks none of the app's routes", async () => {
        expect(screen.getByTestId("signed-in-name").textContent).toBe("student-ana");
        expect(screen.getByTestId("signed-in-group").textContent).toBe("group class-4b");
        expect(screen.queryByTestId("profile-select")).toBeNull();
        expect(screen.queryByTestId("nav-dashboard")).toBeNull();
        expect(screen.queryByTestId("nav-admin")).toBeNull();
        // The served model, read-only (GET /v1/models): no picker, no Load.
        expect(screen.getByTestId("model-name").textContent).toBe("stories260K");
        expect(screen.queryByTestId("model-select")).toBeNull();
        // Every text says where the chats are: in this browser only.
        expect(screen.getByTestId("chats-kept-intro").textContent).toContain(CHATS_IN_BROWSER);
        expect(screen.getByTestId("chats-kept").textContent).toBe(CHATS_IN_BROWSER);

        send("Once upon a time");
        await act(async () => {
            backend.delta("There was a cat");
            backend.complete({kvshare: {mode: "prefix", prompt_tokens: 12, reused_tokens: 4, computed_tokens: 8, recomputed_tokens: 0}});
        });
        expect(screen.getByTestId("message-assistant").textContent).toContain("There was a cat");
        // The hit strip reads the completion's own record.
        expect(screen.getByTestId("hit-strip")).toBeTruthy();
        // Kept in this browser, never sent to the server: no refusal to show either.
        expect(localStorage.getItem(CONVERSATIONS_STORAGE)).toContain("There was a cat");
        await act(async () => window.dispatchEvent(new Event("focus")));
        expect(screen.queryByText(/Not saved to the server/)).toBeNull();
        expect(backend.adminFake.calls).toEqual([]);
    });

    it("shows the chat where the dashboard or the settings are asked for", async () => {
        await act(async () => useView.getState().show("dashboard"));
        expect(screen.getByTestId("composer-input")).toBeTruthy();
        expect(document.querySelector(".page-scroll")).toBeNull();
        expect(document.title).toBe("KVShare");
        await act(async () => useView.getState().show("admin"));
        expect(screen.getByTestId("composer-input")).toBeTruthy();
        expect(backend.adminFake.calls).toEqual([]);
    });

    it("signs out after a confirmation: the key and the chats forgotten, the key screen shown", async () => {
        send("My secret question");
        await act(async () => backend.complete({content: "An answer with `code`"}));
        fireEvent.change(screen.getByTestId("chat-search"), {target: {value: "secret"}});
        expect(keptResults()).toBeGreaterThan(0);
        sessionStorage.setItem("kvshare.dashboard.scope", "user:ana");
        localStorage.setItem("other-site", "kept");

        fireEvent.click(screen.getByTestId("sign-out"));
        expect(screen.getByText(/Sign out of this browser\? Your key and the chats kept in this browser are forgotten here/)).toBeTruthy();
        await act(async () => fireEvent.click(screen.getByTestId("sign-out-confirm")));

        await waitFor(() => expect(screen.getByTestId("api-key-screen")).toBeTruthy());
        expect(localStorage.getItem(API_KEY_STORAGE)).toBeNull();
        const left = [...Array(localStorage.length).keys()].map((i) => localStorage.key(i)!);
        // Only the page's new, empty chat is written again; nothing of the chats before.
        expect(left.filter((name) => name !== CONVERSATIONS_STORAGE && name !== "other-site")).toEqual([]);
        expect(localStorage.getItem(CONVERSATIONS_STORAGE) ?? "").not.toContain("secret");
        expect(localStorage.getItem("other-site")).toBe("kept");
        expect(sessionStorage.getItem("kvshare.dashboard.scope")).toBeNull();
        expect(useConversations.getState().conversations.every((c) => c.messages.length === 0)).toBe(true);
        expect(screen.queryByText("My secret question")).toBeNull();
        // Nor what the page held of them in memory: the search typed, the answers' rendered markdown.
        expect((screen.getByTestId("chat-search") as HTMLInputElement).value).toBe("");
        expect(keptResults()).toBe(0);
        expect(useSignedIn.getState().signedIn).toBeNull();
        expect(backend.adminFake.calls).toEqual([]);
    });
});

describe("App with the app's own key and no model loaded", () => {
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("offers the settings and the dashboard, where a model is loaded: who the key is needs no model", async () => {
        const backend = freshChatState({apiKey: null, status: "checking", health: null, models: [], error: null});
        backend.healthImpl = async () => ({status: "error", error: "No model found."}) as unknown as Awaited<ReturnType<FakeBackend["health"]>>;
        useSignedIn.setState({signedIn: null});
        saveApiKey("sk-app");
        useView.getState().show("chat");
        render(<App />);
        await screen.findByTestId("nav-admin");
        expect(screen.getByTestId("nav-dashboard")).toBeTruthy();
        expect(useSignedIn.getState().signedIn?.app).toBe(true);
    });
});
