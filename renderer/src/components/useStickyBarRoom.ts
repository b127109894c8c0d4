import {useEffect, useRef, type RefObject} from "react";

/**
 * A bar stuck to the bottom of the page's scrolling box (the admin settings' Save) would hide a field the focus
 * moves to beneath it. The box keeps the bar's height free when it scrolls to what is focused (its
 * scroll-padding, however tall the bar is: its text wrapped in a narrow window, or the page zoomed), and a field
 * the browser left partly under the bar (it scrolls a tall text box only as far as its caret) is scrolled out.
 */
export function useStickyBarRoom<T extends HTMLElement>(scroller = ".page-scroll"): RefObject<T | null> {
    const bar = useRef<T>(null);
    useEffect(() => {
        const el = bar.current;
        const box = el?.closest<HTMLElement>(scroller);
        if (!el || !box) return;
        const fit = (): void => {
            box.style.scrollPaddingBottom = `${el.offsetHeight}px`;
        };
        const reveal = (event: FocusEvent): void => {
            const target = event.target;
            if (!(target instanceof HTMLElement) || el.contains(target)) return;
            const [field, under] = [target.getBoundingClientRect(), el.getBoundingClientRect()];
            if (field.bottom > under.top && field.top < under.bottom) target.scrollIntoView({block: "nearest"});
        };
        fit();
        const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(fit);
        observer?.observe(el);
        box.addEventListener("focusin", reveal);
        return () => {
            observer?.disconnect();
            box.removeEventListener("focusin", reveal);
            box.style.scrollPaddingBottom = "";
        };
    }, [scroller]);
    return bar;
}
