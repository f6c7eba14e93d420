import { Show } from "solid-js";
import Alert from "./Alert";

/** A form's error that belongs to no single field, announced at once; nothing while there is none. */
export default function FormError(props: { message: string | undefined }) {
  return <Show when={props.message}>{(message) => <Alert tone="error">{message()}</Alert>}</Show>;
}
