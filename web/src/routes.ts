import type { RouteDefinition } from "@solidjs/router";
import { lazy } from "solid-js";
import { getConfig } from "./lib/config";
import { getSessionUser } from "./lib/session";

const preloadUser = () => {
  void getSessionUser().catch(() => undefined);
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
  { path: "*404", component: lazy(() => import("./pages/NotFound")) },
];
