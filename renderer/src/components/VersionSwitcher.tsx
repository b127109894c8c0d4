import {useLayoutEffect, useRef} from "react";

export interface Versions {
    /** The version shown, 0-based. */
    index: number;
    count: number;
    /** Shows another version; absent while that is not offered (the chat is being answered). */
    onShow?: ((target: number) => void) | undefined;
}

/**
 * The button of the last switch and where it was: a switch shows another message there (a new element),
 * whose switcher takes the focus back, so a keyboard user can go on pressing it.
 */
let refocus: {at: string; button: "previous" | "next"} | null = null;

/** "‹ 2/3 ›": the versions of a message (an edited question, a regenerated answer), one shown at a time. */
export function VersionSwitcher({index, count, onShow, at}: Versions & {at: string}) {
    const previous = useRef<HTMLButtonElement>(null);
    const next = useRef<HTMLButtonElement>(null);
    useLayoutEffect(() => {
        if (refocus?.at !== at) return;
        const wanted = refocus.button === "previous" ? previous.current : next.current;
        // At the first or last version that button is disabled: the other one takes the focus.
        (wanted?.disabled ? (wanted === previous.current ? next.current : previous.current) : wanted)?.focus();
        refocus = null;
    }, [at]);
    const show = (button: "previous" | "next"): void => {
        refocus = {at, button};
        onShow?.(button === "previous" ? index - 1 : index + 1);
        // Drawn by now: a switcher drawn later there (another visit to the chat) leaves the focus alone.
        setTimeout(() => {
            refocus = null;
        });
    };
    return (
        <span className="version-switcher" data-testid="version-switcher">
            <button
                ref={previous}
                type="button"
                className="link-button"
                aria-label="Previous version"
                data-testid="previous-version"
                disabled={onShow === undefined || index <= 0}
                onClick={() => show("previous")}
            >
                ‹
            </button>
            <span aria-hidden="true" data-testid="version-label">
                {index + 1}/{count}
            </span>
            <span className="visually-hidden">
                Version {index + 1} of {count}
            </span>
            <button
                ref={next}
                type="button"
                className="link-button"
                aria-label="Next version"
                data-testid="next-version"
                disabled={onShow === undefined || index >= count - 1}
                onClick={() => show("next")}
            >
                ›
            </button>
        </span>
    );
}
