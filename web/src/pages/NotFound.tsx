import { A, useLocation } from "@solidjs/router";
import { usePageTitle } from "../lib/title";

export default function NotFound() {
  const location = useLocation();
  usePageTitle(() => "Page not found");
  return (
    <section class="not-found" aria-labelledby="not-found-title">
      <p class="eyebrow num">404</p>
      <h1 id="not-found-title">Page not found</h1>
      <p class="muted">
        There is no page at <code>{location.pathname}</code>.
      </p>
      <p>
        <A href="/" class="button">
          Back to the overview
        </A>
      </p>
    </section>
  );
}
