import {useConnection} from "../stores/useConnection.js";

/** Says, once, what became of the key a `#key=` link brought (refused: the saved key is still used). */
export function KeyNotice() {
    const notice = useConnection((s) => s.keyNotice);
    if (notice === null) return null;
    return (
        <div className="warning" role="status" data-testid="key-notice">
            {notice}{" "}
            <button type="button" className="link-button" data-testid="key-notice-dismiss" onClick={() => useConnection.getState().dismissKeyNotice()}>
                Dismiss
            </button>
        </div>
    );
}
