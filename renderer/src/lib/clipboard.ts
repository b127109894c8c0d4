import {announce} from "./announce.js";

/**
 * Copies text, and says whether it did to screen readers; falls back to a hidden textarea where the async clipboard
 * API is unavailable (the focus then goes back where it was).
 */
export async function copyText(text: string): Promise<boolean> {
    const copied = await write(text);
    announce(copied ? "Copied" : "Could not copy");
    return copied;
}

async function write(text: string): Promise<boolean> {
    try {
        await navigator.clipboard.writeText(text);
        return true;
    } catch {
        const focused = document.activeElement;
        const area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        // execCommand copies the focused selection.
        area.focus();
        area.select();
        let ok: boolean;
        try {
            ok = document.execCommand("copy");
        } catch {
            ok = false;
        }
        area.remove();
        // Removing the focused textarea would leave the focus on the page.
        if (focused instanceof HTMLElement) focused.focus();
        return ok;
    }
}
