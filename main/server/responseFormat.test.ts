import {describe, expect, it} from "vitest";
import {ApiError} from "./errors.js";
import {parseResponseFormat, toGrammarSchema} from "./responseFormat.js";

const any = toGrammarSchema({}, "p");

describe("toGrammarSchema", () => {
    it("rewrites what node-llama-cpp would read as null into what JSON Schema means", () => {
        // `{}`, `true` and an object without properties allow anything (the grammar generator would allow only null / `{}`).
        expect(any).toHaveProperty("oneOf");
        expect(toGrammarSchema(true, "p")).toEqual(any);
        expect(toGrammarSchema({type: "object"}, "p")).toEqual({type: "object", additionalProperties: true});
        expect(toGrammarSchema({anyOf: [{type: "string"}, {type: "null"}]}, "p")).toEqual({oneOf: [{type: "string"}, {type: "null"}]});
        expect(toGrammarSchema({properties: {a: {type: "string"}}}, "p")).toEqual({type: "object", properties: {a: {type: "string"}}});
        expect(toGrammarSchema({type: ["object", "null"], properties: {a: {const: 1}}}, "p")).toEqual({
            oneOf: [
                {type: "object", properties: {a: {const: 1}}},
                {type: "null", properties: {a: {const: 1}}}
            ]
        });
        expect(toGrammarSchema({definitions: {x: {type: "integer"}}, type: "array", items: {$ref: "#/definitions/x"}}, "p")).toEqual({
            $defs: {x: {type: "integer"}},
            type: "array",
            items: {$ref: "#/$defs/x"}
        });
        expect(toGrammarSchema({type: "string", format: "email", title: "t", description: "d"}, "p")).toEqual({type: "string"});
        expect(toGrammarSchema({type: "string", format: "date"}, "p")).toEqual({type: "string", format: "date"});
    });

    it("keeps recursion a value can end: an optional property, a union with a way out, an array that may be empty", () => {
        for (const n of [
            {type: "object", properties: {c: {$ref: "#/$defs/n"}}},
            {oneOf: [{type: "null"}, {type: "object", properties: {c: {$ref: "#/$defs/n"}}, required: ["c"]}]},
            {type: "array", items: {$ref: "#/$defs/n"}}
        ])
            expect(() => toGrammarSchema({$defs: {n}, $ref: "#/$defs/n"}, "p")).not.toThrow();
    });

    it("makes the keywords node-llama-cpp would ignore hold: beside an enum, a type list, a union; required properties", () => {
        // The enum carries the type and lengths (the grammar reads it alone).
        expect(toGrammarSchema({type: "integer", enum: [1.5, 2, "a"]}, "p")).toEqual({enum: [2]});
        expect(toGrammarSchema({enum: ["abcdef", "ab"], maxLength: 2}, "p")).toEqual({enum: ["ab"]});
        // A type list with a string's limit: one branch per type, each with the limit.
        expect(toGrammarSchema({type: ["string", "null"], maxLength: 5}, "p")).toEqual({
            oneOf: [
                {type: "string", maxLength: 5},
                {type: "null", maxLength: 5}
            ]
        });
        // An object in a type list still means any object.
        expect(toGrammarSchema({type: ["object", "null"]}, "p")).toEqual({oneOf: [{type: "object", additionalProperties: true}, {type: "null"}]});
        // Keywords beside a union hold in every branch.
        expect(toGrammarSchema({type: "object", properties: {a: {type: "string"}}, anyOf: [{type: "object"}]}, "p")).toEqual({
            oneOf: [{type: "object", properties: {a: {type: "string"}}, additionalProperties: true}]
        });
        // Required but not described: present, with any value (or what additionalProperties allows).
        expect(toGrammarSchema({type: "object", required: ["a", "b"], properties: {a: {type: "string"}}}, "p")).toEqual({
            type: "object",
            required: ["a", "b"],
            properties: {a: {type: "string"}, b: any}
        });
        expect(toGrammarSchema({type: "object", required: ["n"], additionalProperties: {type: "integer"}}, "p")).toMatchObject({
            properties: {n: {type: "integer"}}
        });
        // `items: false` after prefixItems: no more items than those.
        expect(toGrammarSchema({type: "array", prefixItems: [{type: "string"}, {type: "number"}], items: false}, "p")).toEqual({
            type: "array",
            prefixItems: [{type: "string"}, {type: "number"}],
            maxItems: 2
        });
    });

    it("refuses what it cannot enforce, naming the path", () => {
        const message = (schema: unknown) => {
            try {
                toGrammarSchema(schema, "s");
            } catch (error) {
                expect(error).toBeInstanceOf(ApiError);
                return (error as ApiError).message;
            }
            throw new Error("accepted");
        };
        expect(message({type: "object", properties: {a: {type: "string", pattern: "x"}}})).toMatch(/'s\.properties\.a': the keyword 'pattern'/);
        expect(message({allOf: [{type: "string"}]})).toMatch(/'allOf'/);
        expect(message({items: [{type: "string"}], type: "array"})).toMatch(/s\.items' must be a JSON Schema object/);
        expect(message({$ref: "#/$defs/missing"})).toMatch(/reference/);
        expect(message({enum: [{a: 1}]})).toMatch(/enum/);
        expect(message({minItems: -1, type: "array"})).toMatch(/non-negative integer/);
        expect(message({minItems: 1})).toMatch(/without 'type'/);
        expect(message({type: "object", $ref: "#/$defs/x", $defs: {x: {type: "object"}}})).toMatch(/keywords beside '\$ref'/);
        // No value can match: refused, not answered with one that does not.
        expect(message({type: "object", required: ["x"], properties: {}, additionalProperties: false})).toMatch(
            /no JSON value can match this schema \('x' is required/
        );
        expect(message({type: "null", enum: ["a"]})).toMatch(/none of its enum values is of its type/);
        expect(message({type: "string", const: "abc", maxLength: 2})).toMatch(/none of its const values/);
        expect(message({type: "array", minItems: 3, maxItems: 1})).toMatch(/minItems 3 is above maxItems 1/);
        expect(message({type: "string", minLength: 5, maxLength: 2})).toMatch(/minLength 5 is above maxLength 2/);
        expect(message({type: "object", properties: {a: {type: "integer"}, b: {type: "integer"}}, required: ["a", "b"], maxProperties: 1})).toMatch(
            /2 properties are required, and maxProperties is 1/
        );
        expect(message({type: "object", properties: {a: {type: "integer"}}, additionalProperties: false, minProperties: 2})).toMatch(
            /only 1 properties are allowed/
        );
        expect(message({enum: Array.from({length: 1001}, (_, i) => i)})).toMatch(/more than 1000 enum values/);
        // A value that must contain itself has no end (the grammar would write until the token limit).
        const node = {type: "object", properties: {c: {$ref: "#/$defs/n"}}, required: ["c"]};
        expect(message({$defs: {n: node}, $ref: "#/$defs/n"})).toMatch(
            /\$defs\.n': no JSON value can match this schema \(a value of it must contain another without end/
        );
        expect(
            message({
                $defs: {a: {type: "array", minItems: 1, items: {$ref: "#/$defs/b"}}, b: {oneOf: [{$ref: "#/$defs/a"}, {$ref: "#/$defs/a"}]}},
                $ref: "#/$defs/a"
            })
        ).toMatch(/without end/);
        let deep: unknown = {type: "string"};
        for (let i = 0; i < 40; i++) deep = {type: "array", items: deep};
        expect(message(deep)).toMatch(/nesting deeper/);
    });
});

describe("parseResponseFormat", () => {
    it("maps the OpenAI shapes", () => {
        expect(parseResponseFormat({})).toBeUndefined();
        expect(parseResponseFormat({response_format: {type: "text"}})).toBeUndefined();
        expect(parseResponseFormat({response_format: {type: "json_object"}})).toEqual({
            schema: {type: "object", additionalProperties: true},
            param: "response_format"
        });
        expect(parseResponseFormat({response_format: {type: "json_schema", json_schema: {name: "n", strict: true, schema: {type: "boolean"}}}})).toEqual({
            schema: {type: "boolean"},
            param: "response_format"
        });
        expect(() => parseResponseFormat({response_format: {type: "json_schema", json_schema: {name: "n"}}})).toThrow(/required/);
    });
});
