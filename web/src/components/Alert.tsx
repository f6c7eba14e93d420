import type { JSX } from "solid-js";

/**
 * A message about an action (a form's result): errors are announced at once (role="alert"),
 * success and information politely (role="status"). `ref` receives the element, e.g. to take focus once shown.
 * `quiet`: shown only, for a state whose changes reach screen readers otherwise (lib/announce), once each.
 */
export type AlertTone = "error" | "success" | "info" | "warn";

export default function Alert(props: {
  tone: AlertTone;
  title?: string;
  ref?: (element: HTMLDivElement) => void;
  quiet?: boolean;
  children?: JSX.Element;
}) {
  const role = () => (props.quiet ? undefined : props.tone === "error" ? "alert" : "status");
  return (
    <div class={`notice notice-${props.tone}`} role={role()} ref={(el) => props.ref?.(el)}>
      {props.title ? <p class="notice-title">{props.title}</p> : null}
      {props.children}
    </div>
  );
}
