/** The colour scheme: the system's, or one picked here (kept in this browser). */
export type Theme = "system" | "light" | "dark";

export const THEME_STORAGE = "kvshare.theme";

const themes: readonly Theme[] = ["system", "light", "dark"];

export function loadTheme(storage: () => Storage = () => localStorage): Theme {
    try {
        const value = storage().getItem(THEME_STORAGE);
        return (themes as readonly (string | null)[]).includes(value) ? (value as Theme) : "system";
    } catch {
        return "system";
    }
}

/** Shows the page in `theme` (styles.css: `color-scheme` on the root picks each colour's light or dark value). */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
    if (theme === "system") delete root.dataset.theme;
    else root.dataset.theme = theme;
}

/** Picks a theme: shown at once and kept for the next visit. */
export function saveTheme(theme: Theme, storage: () => Storage = () => localStorage): void {
    applyTheme(theme);
    try {
        if (theme === "system") storage().removeItem(THEME_STORAGE);
        else storage().setItem(THEME_STORAGE, theme);
    } catch {
        // Storage refused: the theme holds for this page only.
    }
}

/** The theme after `theme` in the button's round: system → light → dark → system. */
export function nextTheme(theme: Theme): Theme {
    return themes[(themes.indexOf(theme) + 1) % themes.length]!;
}
