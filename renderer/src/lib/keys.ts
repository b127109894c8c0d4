import type {KeyboardEvent} from "react";

/**
 * Enter sends (the composer, an edited question); Shift+Enter is a new line, and an IME's Enter picks the
 * composed characters.
 */
export function isSendKey(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
    return event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing;
}
