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

/** Why `raw` is not a value the field accepts, or null when it is (empty means the default). */
export function numberFieldProblem(raw: string, min: number, max: number, integer: boolean): string | null {
    if (raw.trim() === "") return null;
    const parsed = parseDecimal(raw);
    if (!Number.isFinite(parsed)) return "Not a number.";
    if (integer && !Number.isInteger(parsed)) return "Must be a whole number.";
    if (parsed < min || parsed > max) return `Must be between ${min} and ${max}.`;
    return null;
}

/**
 * A number input that keeps what the user types and reports only valid values (empty = default). What it
 * cannot take is flagged at the field, and the last valid value stays in force meanwhile.
 */
export function NumberField({label, value, min, max, step, integer = false, testId, hint, onChange}: NumberFieldProps) {
    const [text, setText] = useState(value === undefined ? "" : String(value));
    useEffect(() => setText(value === undefined ? "" : String(value)), [value]);
    const problem = numberFieldProblem(text, min, max, integer);
    const errorId = useId();

    const update = (raw: string): void => {
        setText(raw);
        if (numberFieldProblem(raw, min, max, integer) != null) return;
        onChange(raw.trim() === "" ? undefined : parseDecimal(raw));
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
                onChange={(e) => update(e.target.value)}
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
