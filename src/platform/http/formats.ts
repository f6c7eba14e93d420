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

export const isEmail = (value: string) => EMAIL_PATTERN.test(value);

FormatRegistry.Set("email", isEmail);
