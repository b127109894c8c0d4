import {VocabGuard} from "./VocabGuard.js";
import {LlamaText, SpecialToken, resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaModel, type Token} from "node-llama-cpp";

/** A chat message after validation: text only, role known. */
export interface PlainMessage {
    role: "system" | "user" | "assistant";
    content: string;
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

    public constructor(private readonly model: LlamaModel) {
        this.chatWrapper = resolveChatWrapper(model);
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

    public chat(messages: readonly PlainMessage[]): BuiltPrompt {
        const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
            if (message.role === "system") return {type: "system", text: message.content};
            if (message.role === "user") return {type: "user", text: message.content};
            return {type: "model", response: [message.content]};
        });
        // An empty model turn makes the template end with the assistant's opening marker.
        history.push({type: "model", response: []});
        const state = this.chatWrapper.generateContextState({chatHistory: history});
        const stops: string[] = [];
        for (const trigger of state.stopGenerationTriggers) {
            // Triggers made only of special tokens (EOS, EOT) are caught as end-of-generation tokens.
            if (trigger.values.every((value) => typeof value === "string")) {
                const text = trigger.toString();
                if (text.length > 0) stops.push(text);
            }
        }
        const contextText = LlamaText(state.contextText.values.map((value) => (typeof value === "string" ? this.safeText(value) : value)));
        return {tokens: contextText.tokenize(this.model.tokenizer), stops};
    }

    /** A raw completion prompt: BOS (when the model wants it) + the text's tokens. */
    public completion(text: string): BuiltPrompt {
        const withBos = this.model.tokens.bos != null && this.addsBos();
        const safe = this.safeText(text);
        const tokens = LlamaText(withBos ? [new SpecialToken("BOS"), safe] : [safe]).tokenize(this.model.tokenizer);
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
