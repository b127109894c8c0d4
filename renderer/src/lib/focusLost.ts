/**
 * Whether the focus fell to the page (on nothing, or on an element just removed, such as a button that went with
 * what it acted on): a keyboard or screen reader user would start again from the page's top. Text selected in the
 * page (someone copying part of an answer) is not lost focus: moving the focus would drop the selection.
 */
export function focusLost(): boolean {
    const focused = document.activeElement;
    if (focused !== null && focused !== document.body && focused.isConnected) return false;
    return window.getSelection()?.isCollapsed !== false;
}
