export {createBackend, getBackend, setBackend} from "./current.js";
export {HttpBackend} from "./httpBackend.js";
export {BridgeBackend} from "./bridgeBackend.js";
export {ApiError, isUnauthorized, errorMessage} from "./errors.js";
export {consumeKeyFromLocation, loadApiKey, saveApiKey} from "./apiKey.js";
