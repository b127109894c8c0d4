import {useEffect, useRef, type RefObject} from "react";

/**
 * When what was opened from an element closes (an edit box, a panel) and the focus went with it, the focus
 * goes back to that element, so a keyboard user goes on from where they were instead of the page's top.
 */
export function useReturnFocus<T extends HTMLElement>(open: boolean): RefObject<T | null> {
    const target = useRef<T>(null);
    const wasOpen = useRef(open);
    useEffect(() => {
        const closed = wasOpen.current && !open;
        wasOpen.current = open;
        if (!closed) return;
        const focused = document.activeElement;
        if (focused === null || focused === document.body || !focused.isConnected) target.current?.focus();
    }, [open]);
    return target;
}
