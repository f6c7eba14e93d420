import { Field, type FieldProps, PasswordField } from "./Field";

type PresetProps = Omit<FieldProps, "label" | "name" | "type">;

/** The account's email: the email keyboard and autofill, no spell check or capitals. */
export function EmailField(props: PresetProps) {
  return (
    <Field
      label="Email"
      name="email"
      type="email"
      autocomplete="email"
      inputmode="email"
      spellcheck={false}
      autocapitalize="off"
      required
      {...props}
    />
  );
}

/** The account's display name, at most the 100 characters the API takes. */
export function NameField(props: PresetProps) {
  return <Field label="Name" name="name" type="text" autocomplete="name" required maxLength={100} {...props} />;
}

/** A password being chosen: the API's 8 to 128 characters, and it refuses common passwords and the account's email. */
export function NewPasswordField(props: Omit<FieldProps, "type" | "addon" | "hint">) {
  return (
    <PasswordField
      autocomplete="new-password"
      required
      minLength={8}
      maxLength={128}
      hint="8 to 128 characters. Common passwords and your email address are refused."
      {...props}
    />
  );
}
