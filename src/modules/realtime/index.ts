import type { ServerWebSocket } from "bun";
import { Elysia } from "elysia";
import { TypeCompiler } from "elysia/type-system";
import type { Config } from "../../config";
import { accessTokenOf, type authPlugin } from "../../platform/http/auth";
import { AppError } from "../../platform/http/errors";
import { requestContext } from "../../platform/http/request-context";
import { verifyOnce } from "../../platform/http/verified-tokens";
import { CLOSE, type SocketHub } from "./hub";
import { ClientFrame } from "./model";
import { assertRoomForAnonymousSocket, authenticateUpgrade, hasRoomForAnonymousSocket, type SocketOwner } from "./service";

const clientFrame = TypeCompiler.Compile(ClientFrame);
const isClientFrame = (message: unknown): message is ClientFrame => clientFrame.Check(message);

/**
 * Bun's own ServerWebSocket behind what a handler is given: Elysia's wrapper (typed with an older copy of Bun's
 * types) holds it as `raw`; its `pong` handler is given Bun's socket itself, though typed as the wrapper.
 */
const bunSocket = (ws: object) => ("raw" in ws ? ws.raw : ws) as ServerWebSocket<unknown>;

/** Upgrade requests already decided (see beforeHandle). */
const decidedUpgrades = new WeakSet<Request>();
/** Owners decided at the upgrade, handed to `open` beside the request they came with. */
const owners = new WeakMap<Request, SocketOwner>();
/** The client's address as the rate limiter and the audit log see it (X-Forwarded-For only behind TRUST_PROXY). */
const addressOf = (request: Request) => requestContext(request).ip ?? "unknown";

/** GET /ws (API.md, WebSocket): one socket for public prices and the user's private events. */
export function realtimeController(
  config: Config,
  hub: SocketHub,
  auth: ReturnType<typeof authPlugin>,
  resolveSession: Parameters<typeof authenticateUpgrade>[3],
) {
  return (
    new Elysia({ name: "realtime", detail: { tags: ["realtime"] } })
      .use(auth)
      // Only an upgrade reaches the socket route; a plain GET is told what to send rather than "not found".
      .get(
        "/ws",
        () => {
          throw new AppError(400, "MALFORMED_REQUEST", "GET /ws opens a WebSocket: send it as an upgrade request", undefined, {
            upgrade: "websocket",
          });
        },
        { detail: { hide: true } },
      )
      .ws("/ws", {
        // OpenAPI has no "ws" operation; app.ts documents /ws as the GET upgrade it is.
        detail: { hide: true },
        async beforeHandle({ request, accessJwt }) {
          // Elysia 1.4 runs a socket route's beforeHandle twice per upgrade (as the route's hook, then in its
          // upgrade handler): decided once, the token is verified and its session read once.
          if (decidedUpgrades.has(request)) return;
          decidedUpgrades.add(request);
          const owner = await authenticateUpgrade(
            { presented: accessTokenOf(request), origin: request.headers.get("origin") },
            config,
            (token) => verifyOnce(accessJwt.verify, token),
            resolveSession,
          );
          if (!owner) {
            assertRoomForAnonymousSocket(config, hub.anonymousFrom(addressOf(request)));
            return;
          }
          owners.set(request, owner);
          requestContext(request).userId = owner.userId;
        },
        open(ws) {
          const owner = owners.get(ws.data.request);
          const address = addressOf(ws.data.request);
          // Upgrades that arrive together can all pass the cap before any opens: one past it is closed as it opens.
          if (!owner && !hasRoomForAnonymousSocket(config, hub.anonymousFrom(address))) {
            bunSocket(ws).close(CLOSE.policy, "too many open WebSockets from this address");
            return;
          }
          hub.open(bunSocket(ws), owner, address);
        },
        message(ws, message) {
          hub.message(bunSocket(ws), message, isClientFrame);
        },
        drain(ws) {
          hub.drain(bunSocket(ws));
        },
        pong(ws) {
          hub.pong(bunSocket(ws));
        },
        close(ws) {
          hub.close(bunSocket(ws));
        },
      })
  );
}
