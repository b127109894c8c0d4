import {cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {THEME_STORAGE, applyTheme, loadTheme} from "../lib/theme.js";
import {ThemeButton} from "./ThemeButton.js";

describe("ThemeButton", () => {
    beforeEach(() => {
        localStorage.clear();
        applyTheme("system");
    });
    afterEach(cleanup);

    it("switches the colours in turn (system, light, dark), saying which, and keeps the choice for the next visit", () => {
        render(<ThemeButton />);
        const button = screen.getByTestId("theme-button");
        expect(button.getAttribute("aria-label")).toBe("Colours: the system's. Switch to light");
        fireEvent.click(button);
        expect(document.documentElement.dataset.theme).toBe("light");
        expect(localStorage.getItem(THEME_STORAGE)).toBe("light");
        fireEvent.click(button);
        expect(document.documentElement.dataset.theme).toBe("dark");
        expect(button.getAttribute("aria-label")).toBe("Colours: dark. Switch to the system's");
        expect(loadTheme()).toBe("dark");
        fireEvent.click(button);
        expect(document.documentElement.dataset.theme).toBeUndefined();
        expect(localStorage.getItem(THEME_STORAGE)).toBeNull();
        // Something else stored there is no theme.
        localStorage.setItem(THEME_STORAGE, "purple");
        expect(loadTheme()).toBe("system");
    });
});
