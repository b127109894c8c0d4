import {useEffect, useId, useState} from "react";
import {parseDecimal} from "../lib/decimal.js";

interface NumberFieldProps {
    label: string;
    value: number | undefined;
    min: number;
    max: number;
    step: number;
    integer?: boolean;
    testId: string;
    hint?: string;
    onChange: (value: number | undefined) => void;
}

/** What the field says about text that cannot be read as a number. */
export const NOT_A_NUMBER = "Not a number.";

/** Why `raw` is not a value the field accepts, or null when it is (empty means the default). */
export function numberFieldProblem(raw: string, min: number, max: number, integer: boolean): string | null {
    if (raw.trim() === "") return null;
    const parsed = parseDecimal(raw);
    if (!Number.isFinite(parsed)) return NOT_A_NUMBER;
    if (integer && !Number.isInteger(parsed)) return "Must be a whole number.";
    if (parsed < min || parsed > max) return `Must be between ${min} and ${max}.`;
    return null;
}

/**
 * A number input that keeps what the user types and reports only valid values (empty = default). What it
 * cannot take is flagged at the field, and the last valid value stays in force meanwhile.
 *
 * A `type="number"` input reports text it cannot parse (`1e`, `-`) as "", the same as an emptied field: only
 * `validity.badInput` tells them apart. Taking that "" as "use the default" would silently drop the value in
 * force the moment a half-typed number passes through such a state.
 */
export function NumberField({label, value, min, max, step, integer = false, testId, hint, onChange}: NumberFieldProps) {
    const [text, setText] = useState(value === undefined ? "" : String(value));
    // Whether the browser holds text it cannot read as a number (the input's value is "" meanwhile).
    const [unreadable, setUnreadable] = useState(false);
    useEffect(() => {
        // A value set from outside (another chat shown, another tab's change) replaces whatever was typed.
        setText(value === undefined ? "" : String(value));
        setUnreadable(false);
    }, [value]);
    const problem = unreadable ? NOT_A_NUMBER : numberFieldProblem(text, min, max, integer);
    const errorId = useId();

    const update = (input: HTMLInputElement): void => {
        const raw = input.value;
        const badInput = input.validity.badInput;
        setText(raw);
        setUnreadable(badInput);
        // Unreadable text is not an empty field: the value in force stays until a number (or nothing) is typed.
        if (badInput || numberFieldProblem(raw, min, max, integer) != null) return;
        const next = raw.trim() === "" ? undefined : parseDecimal(raw);
        if (next !== value) onChange(next);
    };

    return (
        <label className="field">
            <span className="field-label">{label}</span>
            <input
                type="number"
                inputMode="decimal"
                min={min}
                max={max}
                step={step}
                value={text}
                data-testid={testId}
                aria-invalid={problem != null}
                aria-describedby={problem != null ? errorId : undefined}
                onChange={(e) => update(e.currentTarget)}
                // React reports a change only when the value moves, and "" to "" does not: `e` typed into an
                // empty field, or unreadable text cleared (which means the default again).
                onInput={(e) => {
                    if (e.currentTarget.value === "" && text === "") update(e.currentTarget);
                }}
            />
            {problem != null ? (
                <span className="field-error" id={errorId} role="alert" data-testid={`${testId}-error`}>
                    {problem} {value === undefined ? "The default is used." : `${value} is used.`}
                </span>
            ) : hint ? (
                <span className="field-hint">{hint}</span>
            ) : null}
        </label>
    );
}
