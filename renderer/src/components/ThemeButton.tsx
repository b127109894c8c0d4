import {useState} from "react";
import {loadTheme, nextTheme, saveTheme, type Theme} from "../lib/theme.js";

const shown: Record<Theme, {mark: string; name: string}> = {
    system: {mark: "◐", name: "the system's"},
    light: {mark: "☀", name: "light"},
    dark: {mark: "☾", name: "dark"}
};

/** The colour scheme, switched in turn: as the system, light, dark (kept in this browser). */
export function ThemeButton() {
    const [theme, setTheme] = useState(loadTheme);
    const next = nextTheme(theme);
    return (
        <button
            type="button"
            className="icon-button theme-button"
            data-testid="theme-button"
            data-theme-shown={theme}
            aria-label={`Colours: ${shown[theme].name}. Switch to ${shown[next].name}`}
            title={`Colours: ${shown[theme].name} (click: ${shown[next].name})`}
            onClick={() => {
                saveTheme(next);
                setTheme(next);
            }}
        >
            <span aria-hidden="true">{shown[theme].mark}</span>
        </button>
    );
}
