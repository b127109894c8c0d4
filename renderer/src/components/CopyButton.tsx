import {useState} from "react";
import {copyText} from "../lib/clipboard.js";

/** Copies `text`, saying "Copied" for a moment; `name` says what it copies (a screen reader lists many "Copy" buttons). */
export function CopyButton({text, name, testId}: {text: string; name: string; testId: string}) {
    const [copied, setCopied] = useState(false);
    const copy = async (): Promise<void> => {
        if (await copyText(text)) {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
        }
    };
    return (
        <button type="button" className="link-button" data-testid={testId} aria-label={copied ? "Copied" : name} onClick={() => void copy()}>
            {copied ? "Copied" : "Copy"}
        </button>
    );
}
