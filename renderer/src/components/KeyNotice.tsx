import type {SignedIn} from "../../../shared/admin.js";
import {LINK_KEY_REFUSED, type KeyOffer} from "../backend/apiKey.js";
import {useConnection} from "../stores/useConnection.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {SignOutButton} from "./SignOutButton.js";

/** "ana (group 4b)", the name in bold. */
export function Who({who, testId}: {who: SignedIn; testId: string}) {
    return (
        <>
            <strong data-testid={testId}>{who.name}</strong>
            {who.group !== null ? ` (group ${who.group})` : ""}
        </>
    );
}

/** Signs in with a link's key offered here ("Sign in as bo"). */
export function AcceptKeyOffer({offer, testId, className}: {offer: KeyOffer; testId: string; className: string}) {
    return (
        <button type="button" className={className} data-testid={testId} onClick={() => void useConnection.getState().acceptKeyOffer()}>
            {offer.who !== null ? `Sign in as ${offer.who.name}` : "Sign in with the link's key"}
        </button>
    );
}

/**
 * What became of the key a `#key=` link brought. Offered (another key is signed in here): the person at the browser
 * decides, told whose each key is — a link alone signs nobody in, or anyone could send another person a link with
 * their own key. Refused: the saved key is still used, and it may be someone else's (a shared computer, the student
 * before): the notice names whose it is and offers a sign-out. Taken: said once.
 */
export function KeyNotice() {
    const notice = useConnection((s) => s.keyNotice);
    const offer = useConnection((s) => s.keyOffer);
    const signedIn = useSignedIn((s) => s.signedIn);
    if (offer !== null) {
        return (
            <div className="warning" role="group" aria-labelledby="key-offer-text" data-testid="key-offer">
                <span id="key-offer-text" role="status">
                    {offer.who !== null ? (
                        <>
                            This link signs in as <Who who={offer.who} testId="key-offer-name" />.
                        </>
                    ) : (
                        "This link signs in with another key."
                    )}
                    {signedIn !== null ? (
                        <>
                            {" "}
                            This browser is signed in as <Who who={signedIn} testId="key-offer-current" />.
                        </>
                    ) : null}
                </span>{" "}
                <AcceptKeyOffer offer={offer} testId="key-offer-accept" className="button primary small" />{" "}
                <button type="button" className="button small" data-testid="key-offer-decline" onClick={() => useConnection.getState().declineKeyOffer()}>
                    {signedIn !== null ? `Stay signed in as ${signedIn.name}` : "Keep the key signed in"}
                </button>
            </div>
        );
    }
    if (notice === null) return null;
    const stillSignedIn = notice === LINK_KEY_REFUSED && signedIn !== null && signedIn.keyRequired;
    return (
        <div className="warning" role="status" data-testid="key-notice">
            {notice}
            {stillSignedIn ? (
                <>
                    {" "}
                    Signed in as <Who who={signedIn} testId="key-notice-name" />. Not you? <SignOutButton testId="key-notice-sign-out" />
                </>
            ) : null}{" "}
            <button type="button" className="link-button" data-testid="key-notice-dismiss" onClick={() => useConnection.getState().dismissKeyNotice()}>
                Dismiss
            </button>
        </div>
    );
}
