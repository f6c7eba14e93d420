import { A, createAsync, type RouteSectionProps } from "@solidjs/router";
import { ErrorBoundary, Show, Suspense } from "solid-js";
import { getConfig } from "../lib/config";
import ErrorNotice from "./ErrorNotice";
import Loading from "./Loading";

/** Links only to pages that exist; later pages add themselves here. */
const NAV: { href: string; label: string; end?: boolean }[] = [{ href: "/", label: "Overview", end: true }];

/** The footer never shows an error: without a configuration it just has no version to show. */
function Version() {
  const config = createAsync(() => getConfig().catch(() => undefined));
  return (
    <Suspense fallback={<span>Loading version…</span>}>
      <Show when={config()} fallback={<span>Version unavailable</span>}>
        {(c) => (
          <span>
            Version <span class="num">{c().version}</span>
            <span class="footer-env">{c().environment}</span>
          </span>
        )}
      </Show>
    </Suspense>
  );
}

export default function Layout(props: RouteSectionProps) {
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <div class="container header-inner">
          <A href="/" class="brand" aria-label="CryptoVault home">
            <img src="/favicon.svg" alt="" width="28" height="28" />
            <span>CryptoVault</span>
          </A>
          <nav aria-label="Main">
            <ul class="nav-list">
              {NAV.map((item) => (
                <li>
                  <A href={item.href} end={item.end} class="nav-link" activeClass="active">
                    {item.label}
                  </A>
                </li>
              ))}
              <li>
                <a href="/api/docs" class="nav-link" rel="external">
                  API docs
                </a>
              </li>
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" class="container main" tabindex="-1">
        <ErrorBoundary fallback={(error, reset) => <ErrorNotice error={error} onRetry={reset} />}>
          <Suspense fallback={<Loading />}>{props.children}</Suspense>
        </ErrorBoundary>
      </main>
      <footer class="site-footer">
        <div class="container footer-inner">
          <span>© CryptoVault</span>
          <Version />
        </div>
      </footer>
    </div>
  );
}
