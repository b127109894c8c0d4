import {useEffect, useRef, useState, type KeyboardEvent, type ReactNode} from "react";
import {useReturnFocus} from "./useReturnFocus.js";

interface Props {
    /** The button that asks first, e.g. "Revoke…". */
    label: string;
    /** Its accessible name where the label alone is the same on every row (it should start with the label's words). */
    name?: string;
    /** The button that does it, e.g. "Revoke". */
    confirmLabel: string;
    confirmName?: string;
    onConfirm: () => void;
    /** Options of the action, shown with the confirmation before its buttons. */
    children?: ReactNode;
    small?: boolean;
    /** Drawn as the small text buttons under a message (its actions' row), not as a filled button. */
    link?: boolean;
    /** A class of the asking button's own (one shown only on hover, say). */
    askClass?: string | undefined;
    /** Keeps the confirmation from being sent (another change in progress). */
    busy?: boolean;
    /** The asking button's test id; the confirming one's is it with "-confirm". */
    testId: string;
}

/**
 * A destructive action behind a confirmation. The focus moves to the confirming button as the question
 * appears (the button pressed is gone, and the focus would fall to the page's top), Esc cancels, and
 * closing the question gives the focus back to the asking button.
 */
export function ConfirmButton({
    label,
    name,
    confirmLabel,
    confirmName,
    onConfirm,
    children,
    small = false,
    link = false,
    askClass,
    busy = false,
    testId
}: Props) {
    const [asking, setAsking] = useState(false);
    const ask = useReturnFocus<HTMLButtonElement>(asking);
    const confirm = useRef<HTMLButtonElement>(null);
    useEffect(() => {
        if (asking) confirm.current?.focus();
    }, [asking]);
    const size = small ? " small" : "";
    const plain = link ? "link-button" : `button${size}`;

    if (!asking)
        return (
            <button
                type="button"
                ref={ask}
                className={askClass == null ? plain : `${plain} ${askClass}`}
                data-testid={testId}
                aria-label={name}
                onClick={() => setAsking(true)}
            >
                {label}
            </button>
        );
    const onKeyDown = (e: KeyboardEvent): void => {
        if (e.key !== "Escape") return;
        // Handled here: the page's own Esc (closing the drawer) leaves it alone.
        e.preventDefault();
        setAsking(false);
    };
    return (
        <span className="row confirm-row" onKeyDown={onKeyDown}>
            {children}
            <button
                type="button"
                ref={confirm}
                className={`${plain} danger`}
                data-testid={`${testId}-confirm`}
                aria-label={confirmName}
                disabled={busy}
                onClick={() => {
                    setAsking(false);
                    onConfirm();
                }}
            >
                {confirmLabel}
            </button>
            <button type="button" className={plain} onClick={() => setAsking(false)}>
                Cancel
            </button>
        </span>
    );
}
