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

/**
 * A definition that must contain itself (`{"c": {"$ref": itself}}` with `c` required) has no finite value: the
 * grammar would write until the token limit. Returns the first such definition the root cannot avoid, if any.
 * Only what a value must hold counts: required properties, the items of an array that needs some, every
 * branch of a union.
 */
export function endlessDefinition(root: Schema): string | undefined {
    const defs = (root.$defs as Record<string, Schema> | undefined) ?? {};
    const forced = (schema: unknown): Set<string> => {
        const out = new Set<string>();
        if (schema == null || typeof schema !== "object") return out;
        const s = schema as Schema;
        const name = typeof s.$ref === "string" ? /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1] : undefined;
        if (name != null) out.add(name);
        if (Array.isArray(s.oneOf)) {
            // A union forces only what every branch forces.
            const branches = (s.oneOf as unknown[]).map(forced);
            for (const ref of branches[0] ?? []) if (branches.every((b) => b.has(ref))) out.add(ref);
        }
        const properties = (s.properties as Schema | undefined) ?? {};
        for (const key of (s.required as string[] | undefined) ?? []) for (const ref of forced(properties[key])) out.add(ref);
        if (typeof s.minItems === "number" && s.minItems > 0) for (const ref of forced(s.items)) out.add(ref);
        for (const item of (s.prefixItems as unknown[] | undefined) ?? []) for (const ref of forced(item)) out.add(ref);
        return out;
    };
    const edges = new Map(Object.entries(defs).map(([name, schema]) => [name, forced(schema)]));
    const reachesItself = (start: string): boolean => {
        const seen = new Set<string>();
        const stack = [...(edges.get(start) ?? [])];
        while (stack.length > 0) {
            const next = stack.pop()!;
            if (next === start) return true;
            if (seen.has(next)) continue;
            seen.add(next);
            stack.push(...(edges.get(next) ?? []));
        }
        return false;
    };
    // The definitions the root's value must hold, directly or through others.
    const must = new Set<string>();
    const stack = [...forced({...root, $defs: undefined})];
    while (stack.length > 0) {
        const next = stack.pop()!;
        if (must.has(next)) continue;
        must.add(next);
        stack.push(...(edges.get(next) ?? []));
    }
    return [...must].find(reachesItself);
}
