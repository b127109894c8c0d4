import {SIGN_OUT_QUESTION, signOut} from "../stores/signOut.js";
import {ConfirmButton} from "./ConfirmButton.js";

/** Sign out…, confirmed: the key and the chats this browser keeps are forgotten (the sidebar's foot, a refused link's notice). */
export function SignOutButton({testId}: {testId: string}) {
    return (
        <ConfirmButton label="Sign out…" confirmLabel="Sign out" onConfirm={() => void signOut()} small testId={testId}>
            <span className="small sign-out-question">{SIGN_OUT_QUESTION}</span>
        </ConfirmButton>
    );
}
