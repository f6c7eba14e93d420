import { connectionState } from "../lib/ws";

const LABELS = { open: "Live", connecting: "Connecting…", closed: "Offline, reconnecting" } as const;
const TONES = { open: "badge-ok", connecting: "badge-warn", closed: "badge-bad" } as const;

/** The state of the shared socket, announced politely to screen readers. */
export default function ConnectionIndicator() {
  return (
    <span class={`badge ${TONES[connectionState()]}`} role="status" aria-live="polite" data-testid="connection">
      <span class="dot" aria-hidden="true" />
      {LABELS[connectionState()]}
    </span>
  );
}
