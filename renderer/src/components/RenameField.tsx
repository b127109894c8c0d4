import {useRef, useState} from "react";
import {isComposingKey} from "../lib/keys.js";
import {MAX_TITLE_CHARS} from "../stores/useConversations.js";

interface RenameFieldProps {
    initial: string;
    /** The new name, or null when renaming was cancelled (Esc). */
    onDone: (name: string | null) => void;
}

/** A chat's name being edited in the list: Enter or leaving the field keeps it, Esc cancels. */
export function RenameField({initial, onDone}: RenameFieldProps) {
    const [name, setName] = useState(initial);
    // Enter, then the blur of the field going away: the renaming ends once.
    const ended = useRef(false);
    const end = (value: string | null): void => {
        if (ended.current) return;
        ended.current = true;
        onDone(value);
    };
    return (
        <input
            className="rename-input"
            data-testid="rename-input"
            aria-label="Chat name"
            value={name}
            maxLength={MAX_TITLE_CHARS}
            autoFocus
            onFocus={(e) => e.currentTarget.select()}
            onChange={(e) => setName(e.target.value)}
            onBlur={() => end(name)}
            onKeyDown={(e) => {
                // An IME's Enter picks the composed characters: the name is not done yet.
                if (e.key === "Enter" && !isComposingKey(e)) {
                    e.preventDefault();
                    end(name);
                } else if (e.key === "Escape") {
                    // Only the renaming is cancelled (a drawer it is in stays open).
                    e.preventDefault();
                    end(null);
                }
            }}
        />
    );
}
