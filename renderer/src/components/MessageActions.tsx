import {useState} from "react";
import {copyText} from "../lib/clipboard.js";
import {VersionSwitcher, type Versions} from "./VersionSwitcher.js";

interface MessageActionsProps {
    text: string;
    onRegenerate?: (() => void) | undefined;
    /** Where the answer was regenerated: which of its versions is shown. */
    versions?: (Versions & {at: string}) | undefined;
}

export function MessageActions({text, onRegenerate, versions}: MessageActionsProps) {
    const [copied, setCopied] = useState(false);
    // An answer that failed before any text has nothing to copy.
    const canCopy = text !== "";
    if (!canCopy && !onRegenerate && !versions) return null;
    const copy = async (): Promise<void> => {
        if (await copyText(text)) {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
        }
    };
    return (
        <div className="message-actions">
            {versions ? <VersionSwitcher {...versions} /> : null}
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
