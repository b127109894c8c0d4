import {LINK_KEY_REFUSED} from "../backend/apiKey.js";
import {useConnection} from "../stores/useConnection.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {SignOutButton} from "./SignOutButton.js";

/**
 * Says, once, what became of the key a `#key=` link brought. Refused: the saved key is still used, and it may be
 * someone else's (a shared computer, the student before): the notice names whose it is and offers a sign-out.
 */
export function KeyNotice() {
    const notice = useConnection((s) => s.keyNotice);
    const signedIn = useSignedIn((s) => s.signedIn);
    if (notice === null) return null;
    const stillSignedIn = notice === LINK_KEY_REFUSED && signedIn !== null && signedIn.keyRequired;
    return (
        <div className="warning" role="status" data-testid="key-notice">
            {notice}
            {stillSignedIn ? (
                <>
                    {" "}
                    Signed in as <strong data-testid="key-notice-name">{signedIn.name}</strong>
                    {signedIn.group !== null ? ` (group ${signedIn.group})` : ""}. Not you? <SignOutButton testId="key-notice-sign-out" />
                </>
            ) : null}{" "}
            <button type="button" className="link-button" data-testid="key-notice-dismiss" onClick={() => useConnection.getState().dismissKeyNotice()}>
                Dismiss
            </button>
        </div>
    );
}
