import { t } from "elysia";
import { Page, PageQuery } from "../../platform/pagination";

export const AuditQuery = t.Object(PageQuery);

export const AdminAuditQuery = t.Object({
  ...PageQuery,
  userId: t.Optional(t.String({ format: "uuid" })),
  /** An action (`auth.login`) or a family (`admin.*`). */
  action: t.Optional(t.String({ maxLength: 100 })),
});

export const AuditEvent = t.Object({
  id: t.String(),
  action: t.String(),
  ip: t.Union([t.String(), t.Null()]),
  userAgent: t.Union([t.String(), t.Null()]),
  metadata: t.Record(t.String(), t.Unknown()),
  createdAt: t.String(),
});
export type AuditEvent = typeof AuditEvent.static;

export const AdminAuditEvent = t.Composite([
  AuditEvent,
  t.Object({
    userId: t.Union([t.String(), t.Null()]),
    /** The user's email now (null for the platform's own rows): who, without looking the id up. */
    userEmail: t.Union([t.String(), t.Null()]),
    chain: t.String(),
    seq: t.Integer(),
    prevHash: t.String(),
    hash: t.String(),
  }),
]);
export type AdminAuditEvent = typeof AdminAuditEvent.static;

export const AuditPage = Page(AuditEvent);
export const AdminAuditPage = Page(AdminAuditEvent);
