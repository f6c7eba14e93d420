import { isUuid } from "../../../../src/platform/ids";
import { Field, type FieldProps } from "../../components/Field";
import { api } from "../../lib/api";
import type { User } from "../../lib/session";

/** What an admin may name a user by: their email (what support hears), or their id (from a flag or the audit log). */
export const USER_NAMING_HINT = "Enter the user's email, or their ID (a UUID such as 3f2b…-…, e.g. from an AML flag).";

/** Whether the text names a user at all: an email, or a UUID. */
export function namesUser(given: string): boolean {
  return given.includes("@") || isUuid(given);
}

/** The account of an email (any spelling of it); none is a 404 ApiError (GET /api/admin/users?email=). */
export async function userByEmail(email: string): Promise<User> {
  return (await api.get<{ user: User }>(`/api/admin/users?email=${encodeURIComponent(email)}`)).user;
}

/** The id of the user named by email or id; an unknown email is a 404 ApiError. */
export async function userIdOf(given: string): Promise<string> {
  return given.includes("@") ? (await userByEmail(given)).id : given;
}

/** The field an admin names a user in, as `userId`: an email or an id, taken as typed (no autocorrect). */
export function UserField(props: Omit<FieldProps, "label" | "name" | "type">) {
  return (
    <Field
      label="User email or ID"
      name="userId"
      type="text"
      autocomplete="off"
      spellcheck={false}
      autocapitalize="off"
      maxLength={254}
      class="mono"
      {...props}
    />
  );
}
