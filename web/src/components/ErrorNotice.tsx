import { Show } from "solid-js";
import { ApiError, errorMessage } from "../lib/api";

/** An error shown in place of content, with the request id support needs and an optional retry. */
export default function ErrorNotice(props: { title?: string; error: unknown; onRetry?: () => void }) {
  const apiError = () => (props.error instanceof ApiError ? props.error : undefined);
  return (
    <div class="notice notice-error" role="alert">
      <p class="notice-title">{props.title ?? "Something went wrong"}</p>
      <p>{errorMessage(props.error)}</p>
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
