import {useConnection} from "../stores/useConnection.js";

/**
 * Says when the loaded llama.cpp build is not the best this machine could run with KV sharing: what is
 * lost (semantic KV sharing, or the GPU) and what to run, as the server reports it in `/v1/models`.
 */
export function BuildNotice() {
    const meta = useConnection((s) => s.models[0]?.meta);
    if (meta?.build_notice == null && meta?.kvshare_patched !== false) return null;
    const lost = meta.kvshare_patched === false ? "Semantic KV sharing is off" : "The GPU is not used";
    return (
        <div className="warning" role="status" data-testid="build-notice">
            <strong>{lost}.</strong> {meta.build_notice ?? "The loaded llama.cpp binary lacks the KVShare patch; run `npm run build:native`."}
        </div>
    );
}
