import { t } from "elysia";

/** Topics anyone may subscribe to. Private events need no subscription: they follow the socket's user. */
const PUBLIC_TOPICS = ["prices"] as const;

const Topics = t.Array(t.Union(PUBLIC_TOPICS.map((topic) => t.Literal(topic))), { minItems: 1, maxItems: 10 });

/** Client → server frames (API.md, WebSocket). */
export const ClientFrame = t.Union([
  t.Object({ op: t.Literal("subscribe"), topics: Topics }),
  t.Object({ op: t.Literal("unsubscribe"), topics: Topics }),
  t.Object({ op: t.Literal("ping") }),
]);
export type ClientFrame = typeof ClientFrame.static;
