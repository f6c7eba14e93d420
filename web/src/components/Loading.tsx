import { Show } from "solid-js";

/**
 * "Loading…", said politely to screen readers. `pageHeading`: shown in place of a whole page, it gives the page the main
 * heading (h1) every page has, visually hidden (the spinner says it to the eye) and marked `data-loading`, so that
 * what waits for the page's own heading (lib/focus focusNextHeading) does not take it for that.
 */
export default function Loading(props: { label?: string; pageHeading?: boolean }) {
  return (
    <>
      <Show when={props.pageHeading}>
        <h1 class="sr-only" data-loading>
          Loading the page
        </h1>
      </Show>
      <p class="loading" role="status">
        <span class="spinner" aria-hidden="true" />
        {props.label ?? "Loading…"}
      </p>
    </>
  );
}
