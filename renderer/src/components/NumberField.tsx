import {useEffect, useState} from "react";

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

/** A number input that keeps what the user types and reports only valid values (empty = default). */
export function NumberField({label, value, min, max, step, integer = false, testId, hint, onChange}: NumberFieldProps) {
    const [text, setText] = useState(value === undefined ? "" : String(value));
    useEffect(() => setText(value === undefined ? "" : String(value)), [value]);

    const update = (raw: string): void => {
        setText(raw);
        if (raw.trim() === "") return onChange(undefined);
        const parsed = Number(raw);
        if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) return;
        onChange(parsed);
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
                onChange={(e) => update(e.target.value)}
            />
            {hint ? <span className="field-hint">{hint}</span> : null}
        </label>
    );
}
