import {useEffect, useId, useRef, useState, type KeyboardEvent} from "react";
import {useConnection} from "../stores/useConnection.js";
import {selectHoldsChats, useConversations} from "../stores/useConversations.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {DownloadAllChats} from "./DownloadAllChats.js";
import {AcceptKeyOffer, Who} from "./KeyNotice.js";

/** What Tab can reach inside the dialog, in order. */
function focusables(root: HTMLElement): HTMLElement[] {
    return [...root.querySelectorAll<HTMLElement>("input, button, textarea, select, a[href], [tabindex]:not([tabindex='-1'])")].filter(
        (el) => !(el as HTMLInputElement).disabled && el.tabIndex >= 0
    );
}

/**
 * Shown when the server answers 401: the key printed by the CLI (`#key=…`) is missing or wrong, or a person's own
 * key was revoked (then it says so). The chats this browser keeps, which the next key would forget, are offered as a
 * download. A modal
 * dialog: the app behind it is inert (App), the focus starts in the key field and Tab stays in the dialog.
 */
export function ApiKeyScreen() {
    const error = useConnection((s) => s.error);
    // Who the key was before the server refused it: an issued key's chats are in this browser alone.
    const signedIn = useSignedIn((s) => s.signedIn);
    const issued = signedIn !== null && !signedIn.app ? signedIn : null;
    const keptHere = useConversations(selectHoldsChats);
    const offer = useConnection((s) => s.keyOffer);
    const [key, setKey] = useState("");
    const dialog = useRef<HTMLDivElement>(null);
    const input = useRef<HTMLInputElement>(null);
    const ids = useId();
    const [titleId, hintId, inputId, errorId] = [`${ids}-title`, `${ids}-hint`, `${ids}-input`, `${ids}-error`];

    useEffect(() => input.current?.focus(), []);

    // Tab past the last control comes back to the first (Shift+Tab the other way): the page behind is inert,
    // and leaving the dialog for the browser's own controls would be the only way out otherwise.
    const keepTabInside = (event: KeyboardEvent<HTMLDivElement>): void => {
        if (event.key !== "Tab" || !dialog.current) return;
        const inside = focusables(dialog.current);
        const first = inside[0];
        const last = inside.at(-1);
        if (!first || !last) return;
        const focused = document.activeElement;
        if (event.shiftKey && (focused === first || !dialog.current.contains(focused))) {
            event.preventDefault();
            last.focus();
        } else if (!event.shiftKey && (focused === last || !dialog.current.contains(focused))) {
            event.preventDefault();
            first.focus();
        }
    };

    return (
        <div className="overlay" data-testid="api-key-screen">
            {/* The dialog a div around its form (a form may not take the dialog role). */}
            <div ref={dialog} className="card" role="dialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={hintId} onKeyDown={keepTabInside}>
                <form
                    onSubmit={(event) => {
                        event.preventDefault();
                        if (key.trim() !== "") void useConnection.getState().setApiKey(key);
                    }}
                >
                    <h2 id={titleId}>API key</h2>
                    {issued !== null ? (
                        // A person's own key the server took before: most likely revoked, and they should hear so.
                        <p className="muted" id={hintId} data-testid="key-no-longer-accepted">
                            The key of <strong>{issued.name}</strong> is no longer accepted: it may have been revoked. Ask whoever gave it to you for a new link
                            or key.
                        </p>
                    ) : (
                        <p className="muted" id={hintId}>
                            This KVShare server requires a key. Open the link you were given (it holds the key after <code>#key=</code>), or paste a key: your
                            own, from whoever runs the server, or the server&apos;s own key shown by <code>kvshare serve</code>.
                        </p>
                    )}
                    {offer !== null ? (
                        // A link's key, held back while this browser keeps the chats of the key before (see KeyNotice).
                        <div className="key-screen-offer" data-testid="key-screen-offer">
                            <p>
                                {offer.who !== null ? (
                                    <>
                                        The link you opened signs in as <Who who={offer.who} testId="key-screen-offer-name" />.
                                    </>
                                ) : (
                                    "The link you opened holds a key."
                                )}
                            </p>
                            <AcceptKeyOffer offer={offer} testId="key-screen-offer-accept" className="button primary" />
                        </div>
                    ) : null}
                    {/* Whoever's they are (a key revoked meanwhile, or before this page opened): another key forgets them. */}
                    {keptHere ? (
                        <div className="key-screen-chats" data-testid="key-screen-chats">
                            <p className="muted small">Signing in with another key forgets the chats this browser keeps: download them first.</p>
                            <DownloadAllChats />
                        </div>
                    ) : null}
                    {error ? (
                        <p className="form-error" id={errorId} role="alert">
                            {error}
                        </p>
                    ) : null}
                    <label className="field" htmlFor={inputId}>
                        <span className="field-label">Key</span>
                        <input
                            ref={input}
                            id={inputId}
                            type="password"
                            autoComplete="off"
                            value={key}
                            placeholder="kvs-…"
                            data-testid="api-key-input"
                            aria-describedby={error ? errorId : undefined}
                            onChange={(e) => setKey(e.target.value)}
                        />
                    </label>
                    <button type="submit" className="button primary" data-testid="api-key-save" disabled={key.trim() === ""}>
                        Connect
                    </button>
                </form>
            </div>
        </div>
    );
}
