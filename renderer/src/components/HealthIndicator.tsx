import {useConnection, type ConnectionStatus} from "../stores/useConnection.js";

const labels: Record<ConnectionStatus, string> = {
    checking: "Connecting…",
    ok: "Ready",
    loading: "Loading model…",
    error: "Unavailable",
    unauthorized: "API key needed"
};

export function HealthIndicator() {
    const status = useConnection((s) => s.status);
    const error = useConnection((s) => s.error);
    const health = useConnection((s) => s.health);
    const busy = health && status === "ok" ? ` · ${health.slots_busy} busy, ${health.queued} queued` : "";
    return (
        <span className={`health health-${status}`} data-testid="health-indicator" data-status={status} title={error ?? `${labels[status]}${busy}`}>
            <span className="health-dot" aria-hidden="true" />
            <span className="health-label">{labels[status]}</span>
        </span>
    );
}
