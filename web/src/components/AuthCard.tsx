import type { JSX } from "solid-js";

/** The centred card of the signed-out pages: a landmark named by the card's h1, whose id is `titleId`. */
export function AuthCard(props: { titleId: string; stack?: boolean; children: JSX.Element }) {
  return (
    <section class="auth-page" aria-labelledby={props.titleId}>
      <div class={props.stack ? "panel auth-card stack" : "panel auth-card"}>{props.children}</div>
    </section>
  );
}

/**
 * What the card shows once its form went through (e.g. "Check your email"). The heading replaces the form's
 * and takes focus, so screen readers announce the new step instead of losing their place.
 */
export function AuthOutcome(props: { titleId: string; title: string; children: JSX.Element }) {
  return (
    <div class="stack">
      <h1 id={props.titleId} tabindex="-1" ref={(el) => queueMicrotask(() => el.focus())}>
        {props.title}
      </h1>
      {props.children}
    </div>
  );
}
