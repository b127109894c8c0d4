import type {RefObject} from "react";
import {ConfirmButton} from "./ConfirmButton.js";
import {CopyButton} from "./CopyButton.js";
import {useUnavailableReason} from "./useUnavailableReason.js";
import {VersionSwitcher, type Versions} from "./VersionSwitcher.js";

interface MessageActionsProps {
    text: string;
    onRegenerate?: (() => void) | undefined;
    /** Go on with an answer cut short (max tokens, or stopped). */
    onContinue?: (() => void) | undefined;
    /** Edit the answer by hand (a new version of the chat from here on); `editButton` gets the focus back on a cancel. */
    onEdit?: (() => void) | undefined;
    editButton?: RefObject<HTMLButtonElement | null>;
    /** A new chat holding the chat up to this answer (the version shown), to go on from here elsewhere. */
    onBranch?: (() => void) | undefined;
    /** Deletes the answer (after a confirmation). */
    onDelete?: (() => void) | undefined;
    /** Where the answer was regenerated: which of its versions is shown. */
    versions?: (Versions & {at: string}) | undefined;
}

/** "Branch": a new chat from here on (see {@link MessageActionsProps.onBranch}). */
export function BranchButton({onBranch}: {onBranch: () => void}) {
    return (
        <button
            type="button"
            className="link-button"
            data-testid="branch-button"
            aria-label="New chat from here"
            title="A new chat holding this chat up to here"
            onClick={onBranch}
        >
            Branch
        </button>
    );
}

/** "Delete" on a message, asking first: a deleted message is gone from every browser's copy of the chat. */
export function DeleteMessageButton({what, onDelete, hoverAction = false}: {what: "question" | "answer"; onDelete: () => void; hoverAction?: boolean}) {
    return (
        <ConfirmButton
            link
            askClass={hoverAction ? "hover-action" : undefined}
            label="Delete"
            name={`Delete ${what}`}
            confirmLabel={`Delete ${what}`}
            onConfirm={onDelete}
            testId={`delete-${what}`}
        />
    );
}

/**
 * The actions' row while the answer is written: as tall as the row that comes with the finished answer, and
 * neither seen nor read (nothing in it can be done yet).
 */
export function MessageActionsPlaceholder() {
    return (
        <div className="message-actions placeholder" aria-hidden="true" data-testid="message-actions-placeholder">
            <span className="link-button">Copy</span>
        </div>
    );
}

/** An action that asks the model again: it waits while the server does not answer, its title saying why. */
function AskButton({
    testId,
    name,
    label,
    unavailable,
    onClick
}: {
    testId: string;
    name: string;
    label: string;
    unavailable: string | null;
    onClick: () => void;
}) {
    return (
        <button
            type="button"
            className="link-button"
            data-testid={testId}
            aria-label={name}
            disabled={unavailable !== null}
            title={unavailable ?? undefined}
            onClick={onClick}
        >
            {label}
        </button>
    );
}

export function MessageActions({text, onRegenerate, onContinue, onEdit, editButton, onBranch, onDelete, versions}: MessageActionsProps) {
    // While the server does not answer, what would ask it waits (and says why) instead of failing.
    const unavailable = useUnavailableReason();
    // An answer that failed before any text has nothing to copy.
    const canCopy = text !== "";
    if (!canCopy && !onRegenerate && !onEdit && !onDelete && !versions) return null;
    // The names say what the short labels act on (a screen reader lists many "Copy" buttons otherwise).
    return (
        <div className="message-actions" data-testid="message-actions">
            {versions ? <VersionSwitcher {...versions} /> : null}
            {canCopy ? <CopyButton text={text} name="Copy answer" testId="copy-button" /> : null}
            {onContinue ? (
                <AskButton testId="continue-button" name="Continue the answer" label="Continue" unavailable={unavailable} onClick={onContinue} />
            ) : null}
            {onRegenerate ? (
                <AskButton testId="regenerate-button" name="Regenerate answer" label="Regenerate" unavailable={unavailable} onClick={onRegenerate} />
            ) : null}
            {onEdit ? (
                <button ref={editButton} type="button" className="link-button" data-testid="edit-answer-button" aria-label="Edit answer" onClick={onEdit}>
                    Edit
                </button>
            ) : null}
            {onBranch ? <BranchButton onBranch={onBranch} /> : null}
            {onDelete ? <DeleteMessageButton what="answer" onDelete={onDelete} /> : null}
        </div>
    );
}
