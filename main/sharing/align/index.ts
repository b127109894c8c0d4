/** Token alignment (KVShare): donor tokens → target tokens as kept runs + an edit script. */
export {alignTokens} from "./alignTokens.js";
export {reuseUpperBound} from "./reuseBound.js";
export {DEFAULT_MIN_RUN_LENGTH, type AlignOptions, type Alignment, type EditOp, type EditOpKind, type EditSummary, type TokenSeq} from "./types.js";
