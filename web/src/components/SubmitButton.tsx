import type { JSX } from "solid-js";

/**
 * A form's primary submit button: disabled and aria-busy while the form is sent, with `busyLabel` saying so.
 * `disabled` when the form cannot be sent at all, with `describedBy` naming the element that says why.
 */
export default function SubmitButton(props: {
  busy: boolean;
  busyLabel: string;
  block?: boolean;
  disabled?: boolean;
  describedBy?: string;
  children: JSX.Element;
}) {
  return (
    <button
      type="submit"
      class={props.block ? "button button-primary button-block" : "button button-primary"}
      disabled={props.busy || props.disabled}
      aria-busy={props.busy}
      aria-describedby={props.describedBy}
    >
      {props.busy ? props.busyLabel : props.children}
    </button>
  );
}
