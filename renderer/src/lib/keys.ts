import type {KeyboardEvent} from "react";

/**
 * The key code browsers give a keydown that an input method (IME) handles. Safari ends the composition
 * before the keydown of the Enter that confirms it (isComposing is already false then), but still gives
 * that keydown this code.
 */
const IME_KEY_CODE = 229;

/** True when the key press belongs to an IME composition (picking the composed characters), not to the page. */
export function isComposingKey(event: KeyboardEvent<HTMLElement>): boolean {
    return event.nativeEvent.isComposing || event.nativeEvent.keyCode === IME_KEY_CODE;
}

/**
 * Enter sends (the composer, an edited question); Shift+Enter is a new line, and an IME's Enter picks the
 * composed characters.
 */
export function isSendKey(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
    return event.key === "Enter" && !event.shiftKey && !isComposingKey(event);
}
