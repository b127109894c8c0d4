import {VocabGuard} from "./VocabGuard.js";
import {callSyntaxOf, type CallSyntax} from "./callSyntax.js";
import {PromptTokenizer} from "./PromptTokenizer.js";
import {
    LlamaText,
    SpecialToken,
    resolveChatWrapper,
    type ChatHistoryItem,
    type ChatModelFunctionCall,
    type ChatModelFunctions,
    type ChatModelResponse,
    type ChatWrapper,
    type ChatWrapperGeneratedContextState,
    type GbnfJsonSchema,
    type LlamaModel,
    type Token
} from "node-llama-cpp";

/** A call an assistant made earlier in the conversation. */
export interface HistoryCall {
    id?: string;
    name: string;
    /** The arguments as the client sent them: a JSON string. */
    arguments: string;
}

/** A chat message after validation: text, role known, and an assistant's calls or a tool's result. */
export interface PlainMessage {
    role: "system" | "user" | "assistant";
    content: string;
    /** An assistant's calls, written in the model's own call syntax. */
    calls?: HistoryCall[];
    /** Set on a tool's (or legacy function's) result: the call it answers, by id or name. */
    result?: {callId?: string; name?: string};
}

/** A function offered to the model (`tools` with `tool_choice` "auto"): described in its template's words. */
export interface OfferedFunction {
    name: string;
    description: string;
    /** JSON Schema of the arguments, as node-llama-cpp documents it to the model. */
    parameters: Record<string, unknown>;
}

/** A message's whole text, its calls included (what is embedded and counted). */
export function messageText(message: PlainMessage): string {
    const calls = (message.calls ?? []).map((call) => `${call.name}(${call.arguments})`);
    return [message.content, ...calls].filter((part) => part.length > 0).join("\n");
}

/** A JSON string's value, or the string itself when it is not JSON (a tool's result may be plain text). */
function jsonOrText(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

export interface BuiltPrompt {
    tokens: Token[];
    /** Text stop strings the chat template implies (e.g. the next turn's marker). */
    stops: string[];
}

/**
 * Renders requests into prompt tokens. Chat requests go through the model's own chat template
 * (node-llama-cpp's resolved chat wrapper), so the prompt is the one the model was trained on.
 */
export class PromptBuilder {
    private readonly chatWrapper: ChatWrapper;
    /** Set for vocabularies without byte fallback; see {@link VocabGuard}. */
    public readonly guard: VocabGuard | null;

    private readonly tokenizer: PromptTokenizer;
    /** The model's function-call syntax (how its answers call functions), read once from its chat wrapper. */
    public readonly callSyntax: CallSyntax;

    public constructor(private readonly model: LlamaModel) {
        this.chatWrapper = resolveChatWrapper(model);
        this.tokenizer = new PromptTokenizer(model);
        this.callSyntax = callSyntaxOf(this.chatWrapper);
        this.guard = VocabGuard.forModel(model);
    }

    /** Text made safe for the tokenizer (unchanged for vocabularies with byte fallback). */
    public safeText(text: string): string {
        return this.guard?.clean(text) ?? text;
    }

    /** The chat template's name, for logs and `/v1/models`. */
    public get templateName(): string {
        return this.chatWrapper.wrapperName;
    }

    /** The first special token's text in `text` (see {@link PromptTokenizer.specialTokenText}). */
    public specialTokenText(text: string): string | undefined {
        return this.tokenizer.specialTokenText(text);
    }

    /**
     * A chat's prompt. Earlier calls and their results are written in the model's own call syntax; with
     * `functions` the template also describes them and tells the model how to call them.
     */
    public chat(messages: readonly PlainMessage[], functions?: readonly OfferedFunction[]): BuiltPrompt {
        const {history, turnOpen} = toHistory(messages);
        // An empty model turn makes the template end with the assistant's opening marker. After the results of
        // its calls, or after an assistant message the conversation ends with (a prefill, "continue"), the
        // assistant's turn goes on: the answer continues it.
        if (!turnOpen) history.push({type: "model", response: []});
        const availableFunctions: ChatModelFunctions | undefined =
            functions == null || functions.length === 0
                ? undefined
                : Object.fromEntries(functions.map((f) => [f.name, {description: f.description, params: f.parameters as GbnfJsonSchema}]));
        const state = this.contextState(history, availableFunctions);
        const stops: string[] = [];
        for (const trigger of state.stopGenerationTriggers) {
            // Triggers made only of special tokens (EOS, EOT) are caught as end-of-generation tokens.
            if (trigger.values.every((value) => typeof value === "string")) {
                const text = trigger.toString();
                if (text.length > 0) stops.push(text);
            }
        }
        // The model writing a call's result means its calls are over: the client runs them.
        if (availableFunctions != null) stops.push(...this.callSyntax.resultPrefixes);
        const contextText = LlamaText(state.contextText.values.map((value) => (typeof value === "string" ? this.safeText(value) : value)));
        return {tokens: this.tokenizer.tokens(contextText), stops};
    }

    /**
     * The template's rendering. Schemas with parts a template's describer cannot read (it throws on some that
     * only describe, such as a property given as null) are described by name and description alone.
     */
    private contextState(chatHistory: ChatHistoryItem[], availableFunctions: ChatModelFunctions | undefined): ChatWrapperGeneratedContextState {
        try {
            return this.chatWrapper.generateContextState({chatHistory, availableFunctions, documentFunctionParams: true});
        } catch (error) {
            if (availableFunctions == null) throw error;
            const described = Object.fromEntries(Object.entries(availableFunctions).map(([name, f]) => [name, {description: f.description}]));
            return this.chatWrapper.generateContextState({chatHistory, availableFunctions: described, documentFunctionParams: true});
        }
    }

    /** A raw completion prompt: BOS (when the model wants it) + the text's tokens. */
    public completion(text: string): BuiltPrompt {
        const withBos = this.model.tokens.bos != null && this.addsBos();
        const safe = this.safeText(text);
        const tokens = this.tokenizer.tokens(LlamaText(withBos ? [new SpecialToken("BOS"), safe] : [safe]));
        return {tokens, stops: []};
    }

    /** A text's tokens: with `addSpecial`, as a text completion's prompt (the start token where the model wants one). */
    public tokenize(text: string, addSpecial: boolean): Token[] {
        return addSpecial ? this.completion(text).tokens : this.model.tokenize(this.safeText(text));
    }

    /** Tokens in this model's vocabulary (ids are 0 to this, exclusive); from the file's token list. */
    public get vocabularySize(): number {
        const tokens = this.model.fileInfo.metadata.tokenizer?.ggml?.tokens;
        return Array.isArray(tokens) ? tokens.length : 0;
    }

    /** Number of tokens of a text, as embeddings and limits count them. */
    public countTokens(text: string): number {
        return this.model.tokenize(this.safeText(text)).length;
    }

    private addsBos(): boolean {
        return this.model.fileInfo.metadata.tokenizer?.ggml?.add_bos_token !== false;
    }
}

/**
 * node-llama-cpp's chat history: an assistant's calls become call items of its turn, and the tool results
 * that follow it (matched by call id, else by name, else in order) become those calls' results. A result
 * matching no call stays in the conversation as the user side's text.
 */
function toHistory(messages: readonly PlainMessage[]): {history: ChatHistoryItem[]; turnOpen: boolean} {
    const history: ChatHistoryItem[] = [];
    /** The conversation ends inside the assistant's turn: with its text, or with results of its calls. */
    let turnOpen = false;
    /** The calls of the latest assistant turn still waiting for a result, with their ids. */
    let open: Array<{call: ChatModelFunctionCall; id?: string}> = [];
    for (const message of messages) {
        if (message.role === "assistant") {
            const calls = (message.calls ?? []).map((c) => ({
                id: c.id,
                call: {type: "functionCall", name: c.name, params: jsonOrText(c.arguments), result: ""} satisfies ChatModelFunctionCall
            }));
            const response: ChatModelResponse["response"] = [...(message.content.length > 0 ? [message.content] : []), ...calls.map((c) => c.call)];
            history.push({type: "model", response});
            open = calls;
            turnOpen = calls.length === 0 && message.content.length > 0;
            continue;
        }
        if (message.result != null) {
            const {callId, name} = message.result;
            const match =
                open.find((c) => callId != null && c.id === callId) ??
                open.find((c) => name != null && c.call.name === name) ??
                (callId == null && name == null ? open[0] : undefined);
            if (match != null) {
                match.call.result = jsonOrText(message.content);
                open = open.filter((c) => c !== match);
                turnOpen = true;
                continue;
            }
        }
        open = [];
        turnOpen = false;
        // node-llama-cpp's own templates leave out a user turn without text (the prompt would end after the last
        // answer, and the model go on with it): an empty question is a turn of one space. An empty system prompt
        // goes, as clients send one to mean none.
        history.push(
            message.role === "system" ? {type: "system", text: message.content} : {type: "user", text: message.content === "" ? " " : message.content}
        );
    }
    return {history, turnOpen};
}
