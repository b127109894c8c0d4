import {useEffect, useRef, type RefObject} from "react";

/**
 * When what was opened from an element closes (an edit box, a panel) and the focus went with it, the focus
 * goes back to that element, so a keyboard user goes on from where they were instead of the page's top.
 * `staysIn`: what was opened stays in the page when closed (a drawer slid away): focus left inside it is lost too.
 */
export function useReturnFocus<T extends HTMLElement>(open: boolean, staysIn?: string): RefObject<T | null> {
    const target = useRef<T>(null);
    const wasOpen = useRef(open);
    useEffect(() => {
        const closed = wasOpen.current && !open;
        wasOpen.current = open;
        if (!closed) return;
        const focused = document.activeElement;
        const lost = focused === null || focused === document.body || !focused.isConnected || (staysIn !== undefined && focused.closest(staysIn) !== null);
        if (lost) target.current?.focus();
    }, [open, staysIn]);
    return target;
}
