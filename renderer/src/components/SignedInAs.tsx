import {selectChatOnly, selectMayAdmin, useSignedIn} from "../stores/useSignedIn.js";
import {ProfileSwitcher} from "./ProfileSwitcher.js";

/**
 * Who is asking. The app's own key picks a profile (sent as the request's `user`); an issued key always asks as its
 * holder (the server ignores `user` for it), so the page just says who that is. Nothing while the server has not said.
 */
export function SignedInAs() {
    const mayAdmin = useSignedIn(selectMayAdmin);
    const chatOnly = useSignedIn(selectChatOnly);
    const signedIn = useSignedIn((s) => s.signedIn);
    if (mayAdmin) return <ProfileSwitcher />;
    if (!chatOnly || signedIn === null) return null;
    return (
        <div className="profile-switcher signed-in" data-testid="signed-in-as">
            <span className="profile-label">Signed in as</span>
            <div className="profile-row">
                <span className="avatar" aria-hidden="true">
                    {signedIn.name.slice(0, 1).toUpperCase()}
                </span>
                {/* dir="auto": a name in Arabic or Hebrew reads right to left. */}
                <span className="signed-in-name" dir="auto" data-testid="signed-in-name" title={signedIn.name}>
                    {signedIn.name}
                </span>
            </div>
            {signedIn.group !== null ? (
                <div className="profile-group muted small" data-testid="signed-in-group">
                    group {signedIn.group}
                </div>
            ) : null}
        </div>
    );
}
