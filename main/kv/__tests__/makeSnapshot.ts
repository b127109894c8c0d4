/**
 * Child process of crossBackend.test.ts (not a test): on the backend of KVSHARE_TEST_BACKEND, evaluates
 * STORY_A on stories260K and writes its KV as a snapshot file. Usage: tsx makeSnapshot.ts FILE
 */
import {createKvEditingContext} from "../createKvEditingContext.js";
import {modelFingerprint} from "../fingerprint.js";
import {saveSnapshot, STORIES_260K, STORY_A, testBuild} from "./support.js";

const file = process.argv[2];
if (file == null) throw new Error("usage: makeSnapshot.ts FILE");
const {llama, build} = await testBuild();
const model = await llama.loadModel({modelPath: STORIES_260K});
const context = await createKvEditingContext(model, {contextSize: 512, sequences: 2, threads: 1});
const sequence = context.getSequence();
await sequence.evaluateWithoutGeneratingNewTokens(model.tokenize(STORY_A, true));
const header = await saveSnapshot({sequence, filePath: file, modelFingerprint: await modelFingerprint(STORIES_260K)});
console.log(JSON.stringify({backend: header.backend, patched: build.patched, tokens: header.tokens.length}));
await context.dispose();
await model.dispose();
await llama.dispose();
