import {useState} from "react";
import {useConnection} from "../stores/useConnection.js";

/** Shown when the server answers 401: the key printed by the CLI (`#key=…`) is missing or wrong. */
export function ApiKeyScreen() {
    const error = useConnection((s) => s.error);
    const [key, setKey] = useState("");
    return (
        <div className="overlay" data-testid="api-key-screen">
            <form
                className="card"
                onSubmit={(event) => {
                    event.preventDefault();
                    if (key.trim() !== "") void useConnection.getState().setApiKey(key);
                }}
            >
                <h2>API key</h2>
                <p className="muted">
                    This KVShare server requires a key. Paste the key shown by <code>kvshare serve</code> (the part after <code>#key=</code> in the URL it
                    prints).
                </p>
                {error ? <p className="form-error">{error}</p> : null}
                <input type="password" autoFocus value={key} placeholder="API key" data-testid="api-key-input" onChange={(e) => setKey(e.target.value)} />
                <button type="submit" className="button primary" data-testid="api-key-save" disabled={key.trim() === ""}>
                    Connect
                </button>
            </form>
        </div>
    );
}
