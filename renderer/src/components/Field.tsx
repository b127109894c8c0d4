import type {ReactNode} from "react";

/** A settings field: its label, the control, and a hint beneath. */
export function Field({label, hint, children}: {label: string; hint?: string; children: ReactNode}) {
    return (
        <label className="field">
            <span className="field-label">{label}</span>
            {children}
            {hint ? <span className="field-hint">{hint}</span> : null}
        </label>
    );
}
