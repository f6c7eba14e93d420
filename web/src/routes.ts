import type { RouteDefinition } from "@solidjs/router";
import { lazy } from "solid-js";
import { getConfig } from "./lib/config";
import { getSessionUser } from "./lib/session";

const preloadUser = () => {
  void getSessionUser().catch(() => undefined);
};

/** The money pages need the user (signed in? 2FA? admin?) and the assets with their precision. */
const preloadMoney = () => {
  preloadUser();
  void getConfig().catch(() => undefined);
};

/** Every page of the web app, each loaded on demand. Paths as in API.md "Web app routes". */
export const routes: RouteDefinition[] = [
  {
    path: "/",
    component: lazy(() => import("./pages/Home")),
    preload: () => {
      void getConfig();
    },
  },
  { path: "/register", component: lazy(() => import("./pages/Register")) },
  { path: "/login", component: lazy(() => import("./pages/Login")), preload: preloadUser },
  { path: "/verify-email", component: lazy(() => import("./pages/VerifyEmail")), preload: preloadUser },
  { path: "/forgot-password", component: lazy(() => import("./pages/ForgotPassword")) },
  { path: "/reset-password", component: lazy(() => import("./pages/ResetPassword")) },
  { path: "/undo-two-factor", component: lazy(() => import("./pages/UndoTwoFactor")) },
  {
    path: "/security",
    component: lazy(() => import("./pages/Security")),
    preload: () => {
      preloadUser();
      void getConfig().catch(() => undefined);
    },
  },
  { path: "/dashboard", component: lazy(() => import("./pages/Dashboard")), preload: preloadUser },
  { path: "/markets", component: lazy(() => import("./pages/Markets")) },
  { path: "/markets/:symbol", component: lazy(() => import("./pages/MarketDetail")), preload: preloadUser },
  {
    path: "/wallet",
    component: lazy(() => import("./pages/Wallet")),
    preload: preloadMoney,
  },
  { path: "/trade", component: lazy(() => import("./pages/Trade")), preload: preloadMoney },
  { path: "/send", component: lazy(() => import("./pages/Send")), preload: preloadMoney },
  { path: "/history", component: lazy(() => import("./pages/History")), preload: preloadMoney },
  { path: "/admin", component: lazy(() => import("./pages/Admin")), preload: preloadMoney },
  { path: "*404", component: lazy(() => import("./pages/NotFound")) },
];
