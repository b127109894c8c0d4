import {afterEach, describe, expect, it, vi} from "vitest";
import {copyText} from "./clipboard.js";

describe("copyText", () => {
    afterEach(() => {
        vi.restoreAllMocks();
        document.body.innerHTML = "";
    });

    it("says it copied to screen readers, and again on a second copy", async () => {
        Object.defineProperty(navigator, "clipboard", {value: {writeText: () => Promise.resolve()}, configurable: true});
        expect(await copyText("a")).toBe(true);
        const status = () => document.querySelector('[role="status"]');
        await vi.waitFor(() => expect(status()?.textContent).toBe("Copied"));
        expect(await copyText("b")).toBe(true);
        // Emptied, then said again: the same words twice are still news.
        expect(status()?.textContent).toBe("");
        await vi.waitFor(() => expect(status()?.textContent).toBe("Copied"));
        expect(document.querySelectorAll('[role="status"]')).toHaveLength(1);
    });

    it("where the clipboard API is refused, copies through a textarea and gives the focus back to where it was", async () => {
        Object.defineProperty(navigator, "clipboard", {value: {writeText: () => Promise.reject(new Error("denied"))}, configurable: true});
        const execCommand = vi.fn((command: string) => command === "copy");
        Object.defineProperty(document, "execCommand", {value: execCommand, configurable: true});
        const button = document.createElement("button");
        document.body.appendChild(button);
        button.focus();
        expect(await copyText("some code")).toBe(true);
        expect(execCommand).toHaveBeenCalledWith("copy");
        expect(document.activeElement).toBe(button);
        expect(document.querySelector("textarea")).toBeNull();

        execCommand.mockReturnValue(false);
        expect(await copyText("again")).toBe(false);
        await vi.waitFor(() => expect(document.querySelector('[role="status"]')?.textContent).toBe("Could not copy"));
        expect(document.activeElement).toBe(button);
    });
});
