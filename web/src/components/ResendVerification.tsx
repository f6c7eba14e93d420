import { createSignal, Show } from "solid-js";
import { api } from "../lib/api";
import { actionMessage } from "../lib/forms";
import Alert from "./Alert";

/** POST /api/auth/resend-verification (signed in), with its outcome. */
export default function ResendVerification(props: { email: string }) {
  const [sending, setSending] = createSignal(false);
  const [result, setResult] = createSignal<{ tone: "success" | "error"; text: string }>();
  const resend = async () => {
    setSending(true);
    setResult(undefined);
    try {
      await api.post("/api/auth/resend-verification");
      setResult({ tone: "success", text: `We sent a new verification link to ${props.email}.` });
    } catch (error) {
      setResult({ tone: "error", text: actionMessage(error) });
    } finally {
      setSending(false);
    }
  };
  return (
    <div class="stack">
      <div>
        <button type="button" class="button" onClick={resend} disabled={sending()} aria-busy={sending()}>
          {sending() ? "Sending…" : "Send a new verification link"}
        </button>
      </div>
      <Show when={result()}>{(r) => <Alert tone={r().tone}>{r().text}</Alert>}</Show>
    </div>
  );
}
