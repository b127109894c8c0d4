import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {App} from "../App.js";
import {setBackend} from "../backend/current.js";
import type {FakeBackend} from "../testing/fakes.js";
import {freshChatState} from "../testing/freshChatState.js";

describe("Enter with an input method (IME)", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = freshChatState({apiKey: null, status: "checking", health: null, models: [], error: null});
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    const composer = () => screen.getByTestId("composer-input") as HTMLTextAreaElement;

    it("an Enter that confirms a conversion never sends: while composing, or as Safari gives it (composition ended, key code 229)", () => {
        render(<App />);
        fireEvent.change(composer(), {target: {value: "にほんご"}});
        // Chrome, Firefox: the Enter is part of the composition.
        fireEvent.keyDown(composer(), {key: "Enter", isComposing: true});
        // Safari: the composition has ended when the Enter's keydown comes, which still has key code 229.
        fireEvent.keyDown(composer(), {key: "Enter", keyCode: 229});
        expect(backend.requests).toHaveLength(0);
        expect(composer().value).toBe("にほんご");
        // The next Enter, the IME done with, sends.
        fireEvent.keyDown(composer(), {key: "Enter", keyCode: 13});
        expect(backend.requests).toHaveLength(1);
    });

    it("nor does it send an edited question", async () => {
        render(<App />);
        fireEvent.change(composer(), {target: {value: "Lily"}});
        fireEvent.keyDown(composer(), {key: "Enter"});
        await act(async () => backend.complete({content: "ok"}));
        fireEvent.click(screen.getByTestId("edit-button"));
        const edit = screen.getByTestId("edit-input") as HTMLTextAreaElement;
        fireEvent.change(edit, {target: {value: "リリー"}});
        fireEvent.keyDown(edit, {key: "Enter", keyCode: 229});
        expect(screen.getByTestId("edit-input")).toBe(edit);
        expect(backend.requests).toHaveLength(1);
        fireEvent.keyDown(edit, {key: "Enter", keyCode: 13});
        expect(backend.requests).toHaveLength(2);
        await act(async () => backend.complete({content: "ok"}));
    });

    it("nor does it end renaming a chat", async () => {
        render(<App />);
        fireEvent.change(composer(), {target: {value: "Lily"}});
        fireEvent.keyDown(composer(), {key: "Enter"});
        await act(async () => backend.complete({content: "ok"}));
        fireEvent.click(screen.getByTestId("rename-conversation"));
        const rename = screen.getByTestId("rename-input") as HTMLInputElement;
        fireEvent.change(rename, {target: {value: "にほんご"}});
        fireEvent.keyDown(rename, {key: "Enter", keyCode: 229});
        expect(screen.getByTestId("rename-input")).toBe(rename);
        fireEvent.keyDown(rename, {key: "Enter", keyCode: 13});
        expect(screen.queryByTestId("rename-input")).toBeNull();
        expect(screen.getByTestId("conversation-item").textContent).toContain("にほんご");
    });
});
