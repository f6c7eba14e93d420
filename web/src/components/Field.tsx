import { createSignal, createUniqueId, type JSX, Show, splitProps } from "solid-js";
import { fieldErrorId } from "../lib/focus";

type InputProps = JSX.InputHTMLAttributes<HTMLInputElement>;

export type FieldProps = Omit<InputProps, "id" | "name"> & {
  /** The visible label. */
  label: string;
  /** Equals the API field the value is sent as. */
  name: string;
  /** Shown under the control, marks it aria-invalid. */
  error?: string;
  /** Help text shown under the control. */
  hint?: JSX.Element;
  /** Something placed right of the input (e.g. the show-password toggle). */
  addon?: JSX.Element;
};

/** The label, hint and error around one control; the control carries `id` and `describedBy(id, …)`. */
function FieldFrame(props: { id: string; label: string; error?: string; hint?: JSX.Element; children: JSX.Element }) {
  return (
    <div class="field" classList={{ "field-invalid": !!props.error }}>
      <label for={props.id} class="field-label">
        {props.label}
      </label>
      <div class="field-control">{props.children}</div>
      <Show when={props.hint}>
        <p id={`${props.id}-hint`} class="field-hint">
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p id={fieldErrorId(props.id)} class="field-error">
          {props.error}
        </p>
      </Show>
    </div>
  );
}

/** The control's aria-describedby: its hint and error paragraphs, when shown. */
function describedBy(id: string, own: { hint?: JSX.Element; error?: string }): string | undefined {
  return [own.hint ? `${id}-hint` : "", own.error ? fieldErrorId(id) : ""].filter(Boolean).join(" ") || undefined;
}

/** A labelled input with its hint and error wired to aria-describedby. */
export function Field(props: FieldProps) {
  const [own, input] = splitProps(props, ["label", "name", "error", "hint", "addon", "class"]);
  const id = `field-${createUniqueId()}`;
  return (
    <FieldFrame id={id} label={own.label} error={own.error} hint={own.hint}>
      <input
        {...input}
        id={id}
        name={own.name}
        class={`input ${own.class ?? ""}`}
        aria-invalid={own.error ? "true" : undefined}
        aria-describedby={describedBy(id, own)}
      />
      {own.addon}
    </FieldFrame>
  );
}

/** A password input with a button that shows the characters (to catch typos without a second field). */
export function PasswordField(props: Omit<FieldProps, "type" | "addon">) {
  const [shown, setShown] = createSignal(false);
  return (
    <Field
      {...props}
      type={shown() ? "text" : "password"}
      spellcheck={false}
      autocapitalize="off"
      addon={
        <button
          type="button"
          class="button button-ghost input-addon"
          aria-pressed={shown()}
          aria-label={shown() ? `Hide ${props.label.toLowerCase()}` : `Show ${props.label.toLowerCase()}`}
          onClick={() => setShown(!shown())}
        >
          {shown() ? "Hide" : "Show"}
        </button>
      }
    />
  );
}

type SelectProps = JSX.SelectHTMLAttributes<HTMLSelectElement>;

export type SelectFieldProps = Omit<SelectProps, "id" | "name" | "children"> & {
  label: string;
  name: string;
  error?: string;
  hint?: JSX.Element;
  children: JSX.Element;
};

/** A labelled select with its hint and error wired to aria-describedby, like Field. */
export function SelectField(props: SelectFieldProps) {
  const [own, select] = splitProps(props, ["label", "name", "error", "hint", "class", "children"]);
  const id = `field-${createUniqueId()}`;
  return (
    <FieldFrame id={id} label={own.label} error={own.error} hint={own.hint}>
      <select
        {...select}
        id={id}
        name={own.name}
        class={`input select ${own.class ?? ""}`}
        aria-invalid={own.error ? "true" : undefined}
        aria-describedby={describedBy(id, own)}
      >
        {own.children}
      </select>
    </FieldFrame>
  );
}
