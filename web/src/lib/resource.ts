import type { Resource } from "solid-js";

/**
 * A resource's value once loaded, kept while it reloads, without ever suspending the page (reading
 * `resource()` would show the Suspense fallback again on every refetch). Undefined before the first load.
 */
export function settled<T>(resource: Resource<T>): T | undefined {
  return resource.state === "ready" || resource.state === "refreshing" ? resource.latest : undefined;
}

/** A resource's error while it stands failed; undefined again as soon as a retry starts. */
export function loadError<T>(resource: Resource<T>): unknown {
  return resource.state === "errored" ? resource.error : undefined;
}
