import {useState} from "react";
import {copyText} from "../lib/clipboard.js";

/**
 * Copies `text`, saying "Copied" for a moment, or that it could not (then the text is to be selected by hand);
 * `name` says what it copies where a screen reader lists many "Copy" buttons (one alone beside what it copies needs none).
 */
export function CopyButton({text, name, testId, className = "link-button"}: {text: string; name?: string; testId: string; className?: string}) {
    const [copied, setCopied] = useState<boolean | null>(null);
    const copy = async (): Promise<void> => {
        const done = await copyText(text);
        setCopied(done);
        if (done) setTimeout(() => setCopied(null), 1200);
    };
    const label = copied === true ? "Copied" : copied === false ? "Copy failed: select it" : "Copy";
    return (
        <button
            type="button"
            className={className}
            data-testid={testId}
            aria-label={name === undefined ? undefined : copied === null ? name : label}
            onClick={() => void copy()}
        >
            {label}
        </button>
    );
}
