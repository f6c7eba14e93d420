/**
 * String formats, checked the way they were but without the cost: loading @elysiajs/openapi replaces
 * TypeBox's `email` format with a check that builds a new zod schema on every call, which showed as about
 * 4 % of the server's CPU under the P2P benchmark (every sign-in, sign-up and transfer names an email).
 * The same pattern zod uses is compiled once here and registered after the plugin's own.
 */
import "@elysiajs/openapi";
import { FormatRegistry } from "@sinclair/typebox";

/** zod's email pattern (zod 4, as bundled in @elysiajs/openapi), so what is accepted does not change. */
const EMAIL_PATTERN = /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

/**
 * The pattern, and the lengths mail can be delivered at: a local part of at most 64 characters (RFC 5321) and
 * domain labels of at most 63 (DNS). A longer address passes the pattern but can never be verified.
 */
export function isEmail(value: string): boolean {
  if (!EMAIL_PATTERN.test(value)) return false;
  const at = value.lastIndexOf("@");
  return (
    at <= 64 &&
    value
      .slice(at + 1)
      .split(".")
      .every((label) => label.length <= 63)
  );
}

FormatRegistry.Set("email", isEmail);

/** The first instant of year 1: the earliest a storable date can be. */
export const EARLIEST_STORABLE_MS = Date.parse("0001-01-01T00:00:00Z");

/**
 * A date the database can hold: years 1 to 9999, the range where JavaScript's ISO form is one Postgres
 * reads. Year 0 or 275760 is a valid JavaScript date but a Postgres error, which answered 500.
 */
export const isStorableDate = (date: Date) => {
  const year = date.getUTCFullYear(); // NaN for an invalid date, which fails both comparisons
  return year >= 1 && year <= 9999;
};

/** A YYYY-MM-DD that names a day of the calendar: JavaScript reads 2024-02-30 as 1 March without a word. */
export function isCalendarDay(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * `date-time` (query filters, expiresAt): Elysia's check, or a bare day (YYYY-MM-DD, UTC), which Elysia takes only
 * in the years 1900 to 2099; then a real calendar day in the storable range.
 */
const isElysiaDateTime = FormatRegistry.Get("date-time");
/** A day without a time, YYYY-MM-DD (taken as UTC). */
export const BARE_DAY = /^\d{4}-\d{2}-\d{2}$/;
FormatRegistry.Set(
  "date-time",
  (value) =>
    ((isElysiaDateTime?.(value) ?? false) || BARE_DAY.test(value)) && isCalendarDay(value) && isStorableDate(new Date(value)),
);
