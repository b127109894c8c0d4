import {useRef, useState} from "react";
import {useConversations} from "../stores/useConversations.js";
import {useProfiles} from "../stores/useProfiles.js";
import {Field} from "./Field.js";

/** The longest profile (and group) name the server takes. */
const MAX_NAME_CHARS = 64;

/** Who is asking: picks the profile sent as the request's `user` (its sharing scope) and adds new ones. */
export function ProfileSwitcher() {
    const profiles = useProfiles((s) => s.profiles);
    const active = useProfiles((s) => s.active);
    const error = useProfiles((s) => s.error);
    const [adding, setAdding] = useState(false);
    const [name, setName] = useState("");
    const [group, setGroup] = useState("");
    const addButton = useRef<HTMLButtonElement>(null);

    const choose = (profile: string): void => {
        useProfiles.getState().select(profile);
        useConversations.getState().showProfile(profile);
    };
    const names = profiles.some((p) => p.name === active) ? profiles : [...profiles, {name: active}];
    const current = profiles.find((p) => p.name === active);

    return (
        <div className="profile-switcher">
            <label className="profile-label" htmlFor="profile-select">
                Asking as
            </label>
            <div className="profile-row">
                <span className="avatar" aria-hidden="true">
                    {active.slice(0, 1).toUpperCase()}
                </span>
                <select id="profile-select" data-testid="profile-select" value={active} onChange={(e) => choose(e.target.value)}>
                    {names.map((p) => (
                        <option key={p.name} value={p.name}>
                            {p.name}
                        </option>
                    ))}
                </select>
                <button
                    ref={addButton}
                    type="button"
                    className="icon-button small"
                    data-testid="profile-add"
                    title="Add a profile"
                    aria-label="Add a profile"
                    onClick={() => setAdding((a) => !a)}
                >
                    +
                </button>
            </div>
            {current?.group ? (
                <div className="profile-group muted small" data-testid="profile-group">
                    group {current.group}
                </div>
            ) : null}
            {adding ? (
                <form
                    className="profile-form"
                    aria-label="Add a profile"
                    // Esc leaves the form as it came: closed, the focus back on its + button.
                    onKeyDown={(event) => {
                        if (event.key !== "Escape") return;
                        event.preventDefault();
                        setAdding(false);
                        addButton.current?.focus();
                    }}
                    onSubmit={(event) => {
                        event.preventDefault();
                        void useProfiles
                            .getState()
                            .add(name, group)
                            .then((ok) => {
                                if (!ok) return;
                                useConversations.getState().showProfile(name.trim());
                                setName("");
                                setGroup("");
                                setAdding(false);
                            });
                    }}
                >
                    <Field label="Profile name">
                        <input
                            data-testid="profile-name-input"
                            placeholder="e.g. Nurse"
                            value={name}
                            maxLength={MAX_NAME_CHARS}
                            autoFocus
                            onChange={(e) => setName(e.target.value)}
                        />
                    </Field>
                    <Field label="Group (optional)">
                        <input
                            data-testid="profile-group-input"
                            placeholder="e.g. ward-3"
                            value={group}
                            maxLength={MAX_NAME_CHARS}
                            onChange={(e) => setGroup(e.target.value)}
                        />
                    </Field>
                    <button type="submit" className="button primary small" data-testid="profile-save" disabled={name.trim() === ""}>
                        Add
                    </button>
                </form>
            ) : null}
            {error ? <p className="form-error small">{error}</p> : null}
        </div>
    );
}
