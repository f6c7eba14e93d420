import type { RouteDefinition } from "@solidjs/router";
import { lazy } from "solid-js";
import { getConfig } from "./lib/config";

/** Every page of the web app, each loaded on demand. */
export const routes: RouteDefinition[] = [
  {
    path: "/",
    component: lazy(() => import("./pages/Home")),
    preload: () => {
      void getConfig();
    },
  },
  { path: "*404", component: lazy(() => import("./pages/NotFound")) },
];
