/**
 * A model's own function-call syntax, as its chat template writes calls (node-llama-cpp's chat wrapper
 * knows it for each model family: `||call: name({…})`, `<tool_call>{"name": …}</tool_call>`,
 * `<function=name>{…}</function>`, …), and reading the calls back out of an answer. With `tool_choice` "auto"
 * the model decides by itself whether to call: the functions are described in its template's words and its
 * answer is searched for calls in that syntax.
 */
import {LlamaText, SpecialToken, type ChatWrapper, type LlamaTextValue} from "node-llama-cpp";

/** The syntax's pieces as text (special tokens' text included, as the answer is read with them). */
export interface CallSyntax {
    /** What starts a call: the prefix and its alternate spellings. */
    prefixes: string[];
    /** A space may come before the prefix. */
    optionalPrefixSpace: boolean;
    /** Between the name and the arguments; may hold `{{functionName}}`. */
    paramsPrefix: string;
    /** After the arguments; may hold `{{functionName}}`. */
    suffix: string;
    /** Where calls go in a section of their own (parallel calls): its start, between calls, its end. */
    sectionPrefixes: string[];
    betweenCalls: string;
    sectionSuffix: string;
    /** What starts a call's result: the model writing it means its calls are over (a stop string). */
    resultPrefixes: string[];
}

/** A call read from an answer: arguments as a JSON string, as the API returns them. */
export interface ParsedCall {
    name: string;
    arguments: string;
}

const namePlaceholder = "{{functionName}}";

/**
 * A wrapper setting as the text the answer shows. A special token (end of text, end of turn) ends it:
 * generation stops at such a token, so the answer never holds it or what follows.
 */
function plainText(value: string | LlamaText | undefined): string {
    if (value == null) return "";
    let text = "";
    for (const piece of LlamaText(value).values as readonly LlamaTextValue[]) {
        if (piece instanceof SpecialToken) break;
        text += typeof piece === "string" ? piece : piece.value;
    }
    return text;
}

/** The call syntax of a chat wrapper (every node-llama-cpp wrapper has one, at least its generic one). */
export function callSyntaxOf(wrapper: ChatWrapper): CallSyntax {
    const {call, result, parallelism} = wrapper.settings.functions;
    const nonEmpty = (list: Array<string | LlamaText | undefined>) => [...new Set(list.map(plainText).filter((text) => text.length > 0))];
    return {
        prefixes: nonEmpty([call.prefix, ...(call.prefixAlternateMatches ?? [])]),
        optionalPrefixSpace: call.optionalPrefixSpace,
        paramsPrefix: plainText(call.paramsPrefix),
        suffix: plainText(call.suffix),
        sectionPrefixes: nonEmpty([parallelism?.call.sectionPrefix, ...(parallelism?.call.sectionPrefixAlternateMatches ?? [])]),
        betweenCalls: plainText(parallelism?.call.betweenCalls),
        sectionSuffix: plainText(parallelism?.call.sectionSuffix),
        // A result prefix naming the function (`{{functionName}}`) is cut before the name: any function's result.
        resultPrefixes: nonEmpty([result.prefix, parallelism?.result?.sectionPrefix])
            .map((text) => text.split(namePlaceholder)[0]!)
            .filter((t) => t.trim().length > 0)
    };
}

/**
 * Matches `expected` at `at`, whitespace aside (models space the syntax's JSON and markers their own way):
 * the index after it, `"partial"` when the text ends inside it, or -1.
 */
function matchLoose(text: string, at: number, expected: string): number | "partial" {
    let i = at;
    for (const c of expected) {
        if (/\s/.test(c)) continue;
        while (i < text.length && /\s/.test(text[i]!)) i++;
        if (i >= text.length) return "partial";
        if (text[i] !== c) return -1;
        i++;
    }
    return i;
}

/** The first marker match at or after `from`: where it starts and ends. */
function findMarker(text: string, markers: readonly string[], from = 0): {start: number; end: number} | null {
    for (let at = from; at < text.length; at++) {
        // A marker starts on a character, not a space: trying each position of a long run of spaces would scan
        // the rest of the run each time (an answer of thousands of spaces took seconds).
        if (/\s/.test(text[at]!)) continue;
        for (const marker of markers) {
            const end = matchLoose(text, at, marker);
            if (typeof end === "number" && end >= 0) return {start: at, end};
        }
    }
    return null;
}

/** Where the first call (or call section) starts in `text`, or -1. */
export function callStart(text: string, syntax: CallSyntax): number {
    return findMarker(text, [...syntax.sectionPrefixes, ...syntax.prefixes])?.start ?? -1;
}

/** Length of the longest end of `text` that could begin a call: held back from a stream until it is known. */
export function possibleCallStartLength(text: string, syntax: CallSyntax): number {
    const markers = [...syntax.sectionPrefixes, ...syntax.prefixes];
    for (let at = Math.max(0, text.length - Math.max(0, ...markers.map((m) => 2 * m.length))); at < text.length; at++) {
        if (/\s/.test(text[at]!)) continue;
        if (markers.some((marker) => matchLoose(text, at, marker) === "partial")) return text.length - at;
    }
    return 0;
}

/**
 * The calls an answer makes, with the text before them as content; null when it makes none (or writes
 * something that starts like a call but is not one: then the whole answer is text). A call must name an
 * offered function and give a JSON object of arguments; whatever follows the calls must be the syntax's
 * closing text or the start of it (generation stops at the end-of-turn token that may complete it, or at a
 * stop string).
 */
export function parseCalls(text: string, syntax: CallSyntax, names: readonly string[]): {content: string; calls: ParsedCall[]} | null {
    const first = findMarker(text, [...syntax.sectionPrefixes, ...syntax.prefixes]);
    if (first == null) return null;
    const section = findMarker(text.slice(first.start), syntax.sectionPrefixes);
    let at = section?.start === 0 ? first.start + section.end : first.start;
    const calls: ParsedCall[] = [];
    for (;;) {
        const call = readCall(text, at, syntax, names);
        if (call == null) return null;
        calls.push(call.call);
        at = call.end;
        const between = syntax.betweenCalls.trim().length > 0 ? matchLoose(text, at, syntax.betweenCalls) : -1;
        const next = typeof between === "number" && between >= 0 ? between : at;
        const prefix = findMarker(text.slice(next), syntax.prefixes);
        if (prefix == null || text.slice(next, next + prefix.start).trim().length > 0) break;
        at = next;
    }
    // After the calls: nothing, or the section's closing text (or the start of it).
    const rest = text.slice(at).trim();
    if (rest.length > 0) {
        const end = syntax.sectionSuffix.trim().length === 0 ? -1 : matchLoose(rest, 0, syntax.sectionSuffix);
        if (end === -1 || (typeof end === "number" && rest.slice(end).trim().length > 0)) return null;
    }
    return {content: text.slice(0, first.start).trim(), calls};
}

function readCall(text: string, from: number, syntax: CallSyntax, names: readonly string[]): {call: ParsedCall; end: number} | null {
    const prefix = findMarker(text.slice(from), syntax.prefixes);
    if (prefix == null || text.slice(from, from + prefix.start).trim().length > 0) return null;
    const nameAt = skipSpace(text, from + prefix.end);
    // The longest offered name that the parameters' prefix follows (names may be prefixes of each other).
    const named = [...names]
        .sort((a, b) => b.length - a.length)
        .map((name) => ({
            name,
            end: text.startsWith(name, nameAt) ? matchLoose(text, nameAt + name.length, syntax.paramsPrefix.replaceAll(namePlaceholder, name)) : -1
        }))
        .find((candidate) => typeof candidate.end === "number" && candidate.end >= 0);
    if (named == null) return null;
    const name = named.name;
    let at = skipSpace(text, named.end as number);
    const suffix = syntax.suffix.replaceAll(namePlaceholder, name);
    let args = "{}";
    const json = jsonObjectEnd(text, at);
    if (json >= 0) {
        try {
            const value: unknown = JSON.parse(text.slice(at, json));
            if (typeof value !== "object" || value == null || Array.isArray(value)) return null;
            args = JSON.stringify(value);
        } catch {
            return null;
        }
        at = json;
    }
    // Arguments left out (a function without parameters: the syntax's empty placeholder) read as {}.
    if (suffix.trim().length === 0) return json >= 0 || text.slice(at).trim().length === 0 ? {call: {name, arguments: args}, end: at} : null;
    const end = matchLoose(text, at, suffix);
    // Cut inside its closing text (generation stops at an end-of-turn token that may be part of it) the call is
    // whole; cut before any of it (at "name(" or before the arguments' object closed) it is not a call.
    if (end === "partial") return text.slice(at).trim().length > 0 ? {call: {name, arguments: args}, end: text.length} : null;
    return end < 0 ? null : {call: {name, arguments: args}, end};
}

function skipSpace(text: string, at: number): number {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    return at;
}

/** The end of the JSON object starting at `at`, or -1 when none starts there or it is not closed. */
function jsonObjectEnd(text: string, at: number): number {
    if (text[at] !== "{") return -1;
    let depth = 0;
    let inString = false;
    for (let i = at; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (c === "\\") i++;
            else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === "{" || c === "[") depth++;
        else if (c === "}" || c === "]") {
            depth--;
            if (depth === 0) return i + 1;
        }
    }
    return -1;
}

/**
 * Streams an answer's text as content while holding back whatever may be the start of a call, and whitespace until
 * text follows it: once a call starts, nothing more is content until the answer is over (then it is read as calls,
 * or sent as text after all).
 */
export class CallStreamHold {
    private text = "";
    private sent = 0;
    private calling = false;

    public constructor(private readonly syntax: CallSyntax) {}

    /** Adds a piece of the answer; returns what can be sent as content now. */
    public push(piece: string): string {
        this.text += piece;
        if (this.calling) return "";
        // Text before `sent` holds no start of a call (a possible start is never sent), so the search starts there.
        const unsent = this.text.slice(this.sent);
        const start = callStart(unsent, this.syntax);
        if (start >= 0) this.calling = true;
        const free = start >= 0 ? start : unsent.length - possibleCallStartLength(unsent, this.syntax);
        // Whitespace waits for the text after it: before a call it is no content (a whole answer's content is
        // trimmed), so a stream never opens a message with it that the whole answer would not have.
        const safe = unsent.slice(0, free).trimEnd().length;
        this.sent += safe;
        return unsent.slice(0, safe);
    }

    /** What was held back (sent as content when the answer turns out to make no call). */
    public get held(): string {
        return this.text.slice(this.sent);
    }
}
