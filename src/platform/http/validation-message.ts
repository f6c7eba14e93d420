/**
 * A schema failure told in words: each failed field once, with what it must be ("Invalid request: amount must be a
 * positive decimal number…; note must be at most 280 characters long"), rather than a bare "Invalid amount" that
 * leaves the client to guess.
 */
import { ValueErrorType } from "@sinclair/typebox/errors";
import type { ValidationError } from "elysia";

/** A field's name as the client sent it may be any length (an unknown query parameter): told up to this many characters. */
const NAME_SHOWN = 64;

/** What a format must look like, for the formats the API's schemas use. */
const FORMATS: Record<string, string> = {
  email: "an email address",
  "date-time": "a date (2026-01-31) or a date-time in ISO 8601 (2026-01-31T12:00:00Z)",
  uuid: "a UUID",
};

type Issue = ValidationError["all"][number];
type Schema = {
  description?: string;
  format?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  const?: unknown;
  anyOf?: Schema[];
};

/** "/amount" → "amount", "/items/0/id" → "items.0.id". */
const fieldOf = (issue: Issue) => ("path" in issue ? String(issue.path) : "").replace(/^\//, "").replaceAll("/", ".");

const shownName = (name: string) => (name.length > NAME_SHOWN ? `${name.slice(0, NAME_SHOWN)}…` : name);

/** Field names of a failure, each once, in the order they failed. */
export function failedFieldNames(error: Readonly<ValidationError>): string[] {
  return [...new Set(error.all.map(fieldOf).filter(Boolean).map(shownName))];
}

/** What the schema wants, where it says so in words: its description, or its format's. */
const described = (schema: Schema) => schema.description ?? (schema.format ? FORMATS[schema.format] : undefined);

/** Each option's first failure, for a union's issue (TypeBox keeps one error iterator per option). */
const unionFailures = (issue: Issue): (Issue | undefined)[] =>
  ((issue as { errors?: { First(): Issue | undefined }[] }).errors ?? []).map((errors) => errors.First());

/** The rule a field broke, as told after its name ("amount must be …"). */
function reason(issue: Issue): string {
  if (!("type" in issue)) return "is not valid";
  const schema = issue.schema as Schema;
  switch (issue.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return "is required";
    case ValueErrorType.ObjectAdditionalProperties:
      return "is not a field this request takes";
    case ValueErrorType.String:
      return described(schema) ? `must be a string: ${described(schema)}` : "must be a string";
    case ValueErrorType.Number:
      return "must be a number";
    case ValueErrorType.Integer:
      return "must be a whole number";
    case ValueErrorType.Boolean:
      return "must be true or false";
    case ValueErrorType.Object:
      return "must be a JSON object";
    case ValueErrorType.Array:
      return "must be a list";
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters long`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? "must not be empty" : `must be at least ${schema.minLength} characters long`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${schema.minimum}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${schema.maximum}`;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema.const)}`;
    case ValueErrorType.Union: {
      const options = schema.anyOf ?? [];
      const values = options.map((option) => option.const);
      if (values.length > 0 && values.every((value) => typeof value === "string")) return `must be one of ${values.join(", ")}`;
      // A value that may also be null (a note): what the value failed, rather than "neither a note nor null".
      const nonNull = options.findIndex((option) => (option as { type?: string }).type !== "null");
      const failure = nonNull >= 0 && options.length === 2 ? unionFailures(issue)[nonNull] : undefined;
      if (failure) return reason(failure);
      const words = options.map(described).find(Boolean);
      return words ? `must be ${words}` : "is not valid";
    }
    default: {
      const words = described(schema);
      return words ? `must be ${words}` : "is not valid";
    }
  }
}

/** The message of a schema failure, naming every failed field once and what it must be. */
export function validationMessage(error: Readonly<ValidationError>, fields: readonly string[]): string {
  const told = new Set<string>();
  const parts: string[] = [];
  for (const issue of error.all) {
    const field = fieldOf(issue);
    const shown = shownName(field);
    // Told once per name shown: fields alike in their first 64 characters read as one.
    if (!field || told.has(shown)) continue;
    told.add(shown);
    parts.push(`${shown} ${reason(issue)}`);
  }
  // The whole body or query failed (not an object): told as such.
  if (parts.length === 0) return `Invalid ${fields.join(", ") || "request"}${error.all[0] ? `: ${reason(error.all[0])}` : ""}`;
  return `Invalid request: ${parts.join("; ")}`;
}
