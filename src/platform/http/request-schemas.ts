/** TypeBox building blocks the modules' model.ts files share: enums, ids, amounts, text and documented answers. */
import type { TLiteral, TSchema, TUnion } from "@sinclair/typebox";
import { t } from "elysia";

type Literals<V extends readonly string[]> = { -readonly [K in keyof V]: TLiteral<V[K]> };

/**
 * One of fixed strings. Elysia's own t.UnionEnum silently fills a missing optional query field with the
 * first value (a filter the client never asked for), so every enum goes through this instead.
 */
export function oneOf<const V extends readonly string[]>(values: V, options: { description?: string } = {}): TUnion<Literals<V>> {
  return t.Union(
    values.map((value) => t.Literal(value)),
    options,
  ) as unknown as TUnion<Literals<V>>;
}

/**
 * A resource id in a path. Any text, however long (the request line's own limit bounds it): an id that names
 * nothing (or someone else's thing) is 404 NOT_FOUND (API.md), which the services answer without a query for
 * anything that is not an id.
 */
export const PathId = t.String();

/**
 * A second-factor code where one may be asked for (login, withdraw): empty or null is no code at all, as a
 * form with a blank field sends it, answered TOTP_REQUIRED when the user has 2FA on.
 */
export const OptionalCode = t.Optional(t.Union([t.String({ maxLength: 32 }), t.Null()]));

/**
 * An amount or price as API.md writes it: a plain positive decimal string ("0.015", "1250.50"). Checked with
 * the rest of the body, so one answer names every bad field; the asset's precision is the service's to check.
 */
export const PlainDecimal = t.String({
  minLength: 1,
  maxLength: 100,
  pattern: "^(?=[0-9.]*[1-9])[0-9]+(\\.[0-9]+)?$",
  description: 'a positive decimal number, digits and one optional point only, such as "12.5"',
});

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). They reorder the text
 * after them: a note "\u202eexe.txt" shows as "txt.exe", so text one user writes could pose as something else to
 * another (or to an admin reviewing it). Right-to-left scripts need none of them.
 */
const BIDI_CONTROLS = "\\u202a-\\u202e\\u2066-\\u2069";

/**
 * A short text a person reads (a name, a label), stored trimmed: something visible besides spaces and
 * zero-width characters, and no control characters (C0, DEL or C1, bidi), which would break lines or displays.
 */
export const DisplayText = (maxLength: number) =>
  t.String({
    maxLength,
    pattern: `^(?=[^]*[^\\s\\u200b-\\u200d\\u2060\\ufeff])[^\\x00-\\x1f\\x7f-\\x9f${BIDI_CONTROLS}]*$`,
    description: "text with something visible besides spaces, and no control or bidirectional control characters",
  });

/**
 * A free text another person reads (a transfer's note): line breaks allowed, bidi controls not; `nonBlank` when
 * there must be something besides spaces.
 */
export const FreeText = (maxLength: number, { nonBlank = false } = {}) =>
  t.String({
    maxLength,
    pattern: `^${nonBlank ? "(?=[^]*\\S)" : ""}[^${BIDI_CONTROLS}]*$`,
    description: `text${nonBlank ? " with something besides spaces, and" : ""} without bidirectional control characters`,
  });

/** `/:id` routes. */
export const IdParams = t.Object({ id: PathId });

/**
 * The OpenAPI `responses` of a route, for `/api/docs`: each status and what it means, with its JSON body's schema
 * where `bodies` gives one (a `response` schema would document the body, but under a generic description).
 */
export const documented = (responses: Record<number, string>, bodies: Record<number, TSchema> = {}) => ({
  detail: {
    responses: Object.fromEntries(
      Object.entries(responses).map(([status, description]) => {
        const body = bodies[Number(status)];
        return [
          status,
          body ? { description, content: { "application/json": { schema: jsonSchemaOf(body) } } } : { description },
        ];
      }),
    ),
  },
});

/** A TypeBox schema as plain JSON Schema, for an OpenAPI response's `content` (whose types do not take TypeBox's). */
export const jsonSchemaOf = (schema: TSchema) => JSON.parse(JSON.stringify(schema));
