/**
 * The parts of a structured-output schema the grammar would not enforce though JSON Schema says they hold
 * together: an enum or const beside a type or length limit, properties that are required but not described,
 * limits that contradict each other. Reconciled where that keeps the meaning, refused where no value can match.
 */

type Schema = Record<string, unknown>;

/** Any JSON value: what `{}` or `true` allows. */
export const anyValue: Schema = {oneOf: [{type: ["string", "number", "boolean", "null"]}, {type: "object", additionalProperties: true}, {type: "array"}]};

/** Whether a scalar is of a JSON Schema type (an integer is a number too). */
function isOfType(value: unknown, type: string): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "number":
            return typeof value === "number";
        case "integer":
            return Number.isInteger(value);
        case "boolean":
            return typeof value === "boolean";
        case "null":
            return value === null;
        default:
            return false;
    }
}

const characters = (text: string): number => [...text].length;

/**
 * `schema` with an enum or const reconciled with the type and string lengths beside it (the grammar reads the
 * enum alone), required properties described, and contradicting limits refused through `fail`.
 */
export function satisfiable(schema: Schema, fail: (what: string) => Error): Schema {
    for (const [min, max] of [
        ["minLength", "maxLength"],
        ["minItems", "maxItems"],
        ["minProperties", "maxProperties"]
    ] as const)
        if (typeof schema[min] === "number" && typeof schema[max] === "number" && (schema[min] as number) > (schema[max] as number))
            throw fail(`${min} ${schema[min] as number} is above ${max} ${schema[max] as number}`);

    const out: Schema = {...schema};
    if (Array.isArray(out.required)) {
        const properties: Schema = {...((out.properties as Schema | undefined) ?? {})};
        for (const name of out.required as string[]) {
            if (name in properties) continue;
            if (out.additionalProperties === false) throw fail(`'${name}' is required, and no property but those listed is allowed`);
            // Required but not described: any value, or what additionalProperties allows.
            properties[name] = typeof out.additionalProperties === "object" ? out.additionalProperties : anyValue;
        }
        out.properties = properties;
    }

    // The grammar writes every required property and reads no property count: counts the required ones break,
    // or that the properties allowed cannot reach, have no answer.
    const required = Array.isArray(out.required) ? (out.required as string[]).length : 0;
    if (typeof out.maxProperties === "number" && required > out.maxProperties)
        throw fail(`${required} properties are required, and maxProperties is ${out.maxProperties}`);
    const allowed = Object.keys((out.properties as Schema | undefined) ?? {}).length;
    if (out.additionalProperties === false && typeof out.minProperties === "number" && out.minProperties > allowed)
        throw fail(`minProperties is ${out.minProperties}, and only ${allowed} properties are allowed`);

    if (out.enum == null && out.const == null) return out;
    let values = out.const !== undefined ? [out.const] : (out.enum as unknown[]);
    if (out.const !== undefined && Array.isArray(out.enum) && !out.enum.some((v) => v === out.const)) throw fail("its const is not one of its enum values");
    const types = out.type == null ? null : ([] as string[]).concat(out.type as string | string[]);
    if (types != null) values = values.filter((v) => types.some((t) => isOfType(v, t)));
    const inLength = (v: unknown) =>
        typeof v !== "string" ||
        ((typeof out.minLength !== "number" || characters(v) >= out.minLength) && (typeof out.maxLength !== "number" || characters(v) <= out.maxLength));
    values = values.filter(inLength);
    if (values.length === 0) throw fail(`none of its ${out.const !== undefined ? "const" : "enum"} values is of its type and length`);
    // The enum or const now carries the type and lengths: the grammar reads it alone anyway.
    const {type: _type, minLength: _min, maxLength: _max, const: _const, enum: _enum, ...rest} = out;
    return out.const !== undefined ? {...rest, const: values[0]} : {...rest, enum: values};
}
