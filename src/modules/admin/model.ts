import { t } from "elysia";
import { FreeText } from "../../platform/http/request-schemas";

/**
 * A rejection, with why if the admin says: words its owner reads (stored trimmed). The body itself is optional: a
 * reject sent with none, as before reasons were taken, still rejects, without one.
 */
export const RejectBody = t.Optional(t.Object({ reason: t.Optional(FreeText(500, { nonBlank: true })) }));
