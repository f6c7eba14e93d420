import { useLocation, useNavigate } from "@solidjs/router";
import { type Accessor, createEffect, type JSX, Show } from "solid-js";
import { type User, useSessionUser } from "../lib/session";
import Loading from "./Loading";

/** Signed-in only content: without a session (GET /api/auth/me → 401) it sends the user to sign in and back. */
export default function RequireUser(props: { children: (user: Accessor<User>) => JSX.Element }) {
  const user = useSessionUser();
  const navigate = useNavigate();
  const location = useLocation();

  createEffect(() => {
    if (user() === null) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    }
  });

  return (
    <Show when={user()} fallback={<Loading label="Redirecting to sign in…" pageHeading />}>
      {(current) => props.children(current)}
    </Show>
  );
}
