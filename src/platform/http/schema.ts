import type { TLiteral, TUnion } from "@sinclair/typebox";
import { t } from "elysia";

type Literals<V extends readonly string[]> = { -readonly [K in keyof V]: TLiteral<V[K]> };

/**
 * One of fixed strings. Elysia's own t.UnionEnum silently fills a missing optional query field with the
 * first value (a filter the client never asked for), so every enum goes through this instead.
 */
export function oneOf<const V extends readonly string[]>(values: V): TUnion<Literals<V>> {
  return t.Union(values.map((value) => t.Literal(value))) as unknown as TUnion<Literals<V>>;
}
