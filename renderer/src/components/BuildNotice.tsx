import {useEffect, useState} from "react";
import {useConnection} from "../stores/useConnection.js";
import {selectMayAdmin, useSignedIn} from "../stores/useSignedIn.js";

/** Where a dismissal is kept: for this tab's session (the build may be fixed by the next one). */
const DISMISSED_KEY = "kvshare.buildNoticeDismissed";

function dismissedBefore(): boolean {
    try {
        return sessionStorage.getItem(DISMISSED_KEY) === "1";
    } catch {
        return false;
    }
}

/**
 * Says when the loaded llama.cpp build is not the best this machine could run with KV sharing: what is
 * lost (semantic KV sharing, or the GPU) and what to run, as the server reports it in `/v1/models`. The admin's
 * to act on: one signed in with an issued key (a student) is not shown it, and it can be dismissed for the session.
 */
export function BuildNotice() {
    const meta = useConnection((s) => s.models[0]?.meta);
    // Shown once the server says the key is the app's own (an issued key's holder would see it flash meanwhile).
    const mayAdmin = useSignedIn(selectMayAdmin);
    const signedIn = useSignedIn((s) => s.signedIn);
    const [dismissed, setDismissed] = useState(dismissedBefore);
    // Another person signed in (a sign-out forgot the session's storage): shown to them as to anyone.
    useEffect(() => setDismissed(dismissedBefore()), [signedIn]);
    if (!mayAdmin || dismissed) return null;
    if (meta?.build_notice == null && meta?.kvshare_patched !== false) return null;
    const lost = meta.kvshare_patched === false ? "Semantic KV sharing is off" : "The GPU is not used";
    return (
        <div className="warning build-notice" role="status" data-testid="build-notice">
            <p>
                <strong>{lost}.</strong> {meta.build_notice ?? "The loaded llama.cpp binary lacks the KVShare patch; run `npm run build:native`."}
            </p>
            <button
                type="button"
                className="link-button"
                data-testid="build-notice-dismiss"
                aria-label="Dismiss the build notice"
                onClick={() => {
                    try {
                        sessionStorage.setItem(DISMISSED_KEY, "1");
                    } catch {
                        // Storage refused (a private window's quota): dismissed in this page only.
                    }
                    setDismissed(true);
                }}
            >
                Dismiss
            </button>
        </div>
    );
}
