import type { JSX } from "solid-js";

/** A form's primary submit button: disabled and aria-busy while the form is sent, with `busyLabel` saying so. */
export default function SubmitButton(props: { busy: boolean; busyLabel: string; block?: boolean; children: JSX.Element }) {
  return (
    <button
      type="submit"
      class={props.block ? "button button-primary button-block" : "button button-primary"}
      disabled={props.busy}
      aria-busy={props.busy}
    >
      {props.busy ? props.busyLabel : props.children}
    </button>
  );
}
