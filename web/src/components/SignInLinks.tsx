import { A } from "@solidjs/router";
import type { JSX } from "solid-js";

/** The way on to /login once an auth page is done ("Sign in", "Back to sign in"). */
export function SignInButton(props: { children: JSX.Element }) {
  return (
    <A href="/login" class="button button-primary">
      {props.children}
    </A>
  );
}

/** The line under a signed-out form for people who already have an account, e.g. "Remembered it? Sign in". */
export function SignInPrompt(props: { children: JSX.Element }) {
  return (
    <p class="muted small center">
      {props.children} <A href="/login">Sign in</A>
    </p>
  );
}
