import {useState} from "react";
import {copyText} from "../lib/clipboard.js";

interface MessageActionsProps {
    text: string;
    onRegenerate?: (() => void) | undefined;
}

export function MessageActions({text, onRegenerate}: MessageActionsProps) {
    const [copied, setCopied] = useState(false);
    // An answer that failed before any text has nothing to copy.
    const canCopy = text !== "";
    if (!canCopy && !onRegenerate) return null;
    const copy = async (): Promise<void> => {
        if (await copyText(text)) {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
        }
    };
    return (
        <div className="message-actions">
            {canCopy ? (
                <button type="button" className="link-button" data-testid="copy-button" onClick={() => void copy()}>
                    {copied ? "Copied" : "Copy"}
                </button>
            ) : null}
            {onRegenerate ? (
                <button type="button" className="link-button" data-testid="regenerate-button" onClick={onRegenerate}>
                    Regenerate
                </button>
            ) : null}
        </div>
    );
}
