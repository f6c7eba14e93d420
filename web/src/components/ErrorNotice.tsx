import { createEffect, createSignal, onCleanup, Show } from "solid-js";
import { Dynamic } from "solid-js/web";
import { ApiError, errorMessage } from "../lib/api";

/**
 * The longest wait after which a notice tries again by itself. A 429 (the per-minute request budget) or a 503
 * that says when to come back is over by then; a longer wait is left to the user and the "Try again" button.
 */
const AUTO_RETRY_MAX_SECONDS = 120;

/** Seconds until what failed is worth asking again, when the server said so and it is soon; else undefined. */
function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || (error.status !== 429 && error.status !== 503)) return undefined;
  const seconds = error.retryAfter;
  return seconds !== undefined && seconds <= AUTO_RETRY_MAX_SECONDS ? Math.max(1, seconds) : undefined;
}

/**
 * An error shown in place of content, with the request id support needs and an optional retry. When the
 * server answered "too many requests" or "unavailable, come back in N seconds", the retry runs by itself once
 * that time is up, so a burst of page loads costs the user a short wait, not the page.
 */
export default function ErrorNotice(props: {
  title?: string;
  error: unknown;
  onRetry?: () => void;
  /** Shown in place of a whole page: its title is the page's heading (h1), which every page has. */
  pageHeading?: boolean;
}) {
  const apiError = () => (props.error instanceof ApiError ? props.error : undefined);
  const [secondsLeft, setSecondsLeft] = createSignal<number>();
  createEffect(() => {
    const retry = props.onRetry;
    const wait = retryAfterSeconds(props.error);
    setSecondsLeft(undefined);
    if (!retry || wait === undefined) return;
    setSecondsLeft(wait);
    const timer = setInterval(() => {
      const left = (secondsLeft() ?? 1) - 1;
      setSecondsLeft(left);
      if (left > 0) return;
      clearInterval(timer);
      retry();
    }, 1000);
    onCleanup(() => clearInterval(timer));
  });
  return (
    <div class="notice notice-error" role="alert">
      <Dynamic component={props.pageHeading ? "h1" : "p"} class="notice-title">
        {props.title ?? "Something went wrong"}
      </Dynamic>
      <p>{errorMessage(props.error)}</p>
      <Show when={secondsLeft()}>
        {(left) => (
          <p>
            Trying again by itself in <span aria-hidden="true">{left()} s</span>
            <span class="sr-only">a moment</span>.
          </p>
        )}
      </Show>
      <Show when={apiError()}>
        {(e) => (
          <p class="notice-meta">
            <span>
              {e().status > 0 ? `${e().status} ` : ""}
              <code>{e().code}</code>
            </span>
            <Show when={e().requestId}>
              {(id) => (
                <span>
                  Request ID <code>{id()}</code>
                </span>
              )}
            </Show>
          </p>
        )}
      </Show>
      <Show when={props.onRetry}>
        {(retry) => (
          <button type="button" class="button" onClick={() => retry()()}>
            Try again
          </button>
        )}
      </Show>
    </div>
  );
}
