import { A, createAsync, type RouteSectionProps, revalidate, useLocation, useNavigate } from "@solidjs/router";
import { createSignal, ErrorBoundary, For, Show, Suspense } from "solid-js";
import { errorMessage, likelySignedIn } from "../lib/api";
import { getConfig, useSupportEmail } from "../lib/config";
import { focusNextHeading } from "../lib/focus";
import { likelyAdmin, signOut, useSessionUserIfKnown } from "../lib/session";
import Announcer from "./Announcer";
import ErrorNotice from "./ErrorNotice";
import FiredAlerts from "./FiredAlerts";
import Loading from "./Loading";

type NavItem = { href: string; label: string; end?: boolean; signedIn?: boolean; adminOnly?: boolean };

/**
 * Links only to pages that exist; later pages add themselves here. `signedIn` ones show only with a session,
 * `adminOnly` ones only when the user's role is admin.
 */
const NAV: NavItem[] = [
  { href: "/", label: "Overview", end: true },
  { href: "/markets", label: "Markets" },
  { href: "/dashboard", label: "Dashboard", signedIn: true },
  { href: "/trade", label: "Trade", signedIn: true },
  { href: "/wallet", label: "Wallet", signedIn: true },
  { href: "/send", label: "Send", signedIn: true },
  { href: "/history", label: "History", signedIn: true },
  { href: "/security", label: "Security", signedIn: true },
  { href: "/admin", label: "Admin", signedIn: true, adminOnly: true },
];

/** Sign in / Register, or the signed-in user and Sign out. */
function AccountActions() {
  const user = useSessionUserIfKnown();
  const navigate = useNavigate();
  const location = useLocation();
  const [busy, setBusy] = createSignal(false);
  const [failed, setFailed] = createSignal<string>();

  const logout = async (event: MouseEvent) => {
    setBusy(true);
    setFailed(undefined);
    // Sign out goes with the signed-in header: focus goes to /login's heading (as signing in focuses the next
    // page's), watched for from now on, as the page shown may already change while signing out.
    const stopWaiting = focusNextHeading(document.querySelector<HTMLElement>("#main h1"), event.currentTarget as HTMLElement);
    try {
      await signOut();
      // /login says so: the user did it, and the bare sign-in form alone would not say it worked.
      navigate("/login", { replace: true, state: { signedOut: true } });
    } catch (error) {
      stopWaiting();
      setFailed(`Could not sign out: ${errorMessage(error)}`);
    } finally {
      setBusy(false);
    }
  };

  /** Come back here after signing in, unless "here" is part of the sign-in flow. */
  const loginHref = () => {
    const path = location.pathname;
    if (
      path === "/" ||
      ["/login", "/register", "/forgot-password", "/reset-password", "/verify-email", "/undo-two-factor"].includes(path)
    ) {
      return "/login";
    }
    return `/login?next=${encodeURIComponent(path + location.search)}`;
  };

  /** Not known (GET /api/auth/me refused for now) with a session cookie: the account's place, kept empty. */
  const unknownWithSession = () => user() === undefined && likelySignedIn();
  return (
    <Show
      when={user()}
      fallback={
        <Show when={!unknownWithSession()} fallback={<span class="account-actions" aria-hidden="true" />}>
          <ul class="nav-list account-actions" aria-label="Account">
            <li>
              <A href={loginHref()} class="nav-link" activeClass="active">
                Sign in
              </A>
            </li>
            <li>
              <A href="/register" class="button button-primary button-small">
                Register
              </A>
            </li>
          </ul>
        </Show>
      }
    >
      {(current) => (
        <div class="account-actions">
          <span class="account-name small muted" title={current().email}>
            {current().name || current().email}
          </span>
          <button type="button" class="button button-small" onClick={logout} disabled={busy()} aria-busy={busy()}>
            {busy() ? "Signing out…" : "Sign out"}
          </button>
          <Show when={failed()}>
            {(message) => (
              <span class="field-error small" role="alert">
                {message()}
              </span>
            )}
          </Show>
        </div>
      )}
    </Show>
  );
}

function NavLink(props: { item: NavItem }) {
  return (
    <li>
      <A href={props.item.href} end={props.item.end} class="nav-link" activeClass="active">
        {props.item.label}
      </A>
    </li>
  );
}

/**
 * The main links. On phones (styles.css) they fold behind a Menu button, a disclosure: it says whether the
 * links are shown (aria-expanded), Escape folds them and puts focus back on the button, and choosing a link
 * folds them too. Wider screens always show the links and never the button.
 */
function MainNav() {
  const user = useSessionUserIfKnown();
  const [open, setOpen] = createSignal(false);
  let toggle!: HTMLButtonElement;
  const closeOnEscape = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || !open()) return;
    setOpen(false);
    toggle.focus();
  };
  /**
   * A link chosen (by mouse, touch or Enter: each is a click) folds the links, even one to the page shown. The
   * focused link folds away with them: focus waits on the Menu button, then goes to the chosen page's main heading
   * once it is shown, as after signing in. Wider screens never fold the links, and focus stays on the link.
   */
  const closeOnLink = (event: MouseEvent) => {
    if (!open() || !(event.target as Element).closest("a")) return;
    setOpen(false);
    toggle.focus();
    focusNextHeading(document.querySelector<HTMLElement>("#main h1"), toggle);
  };
  const likelyLinks = () => (
    <Show when={likelySignedIn()}>
      <For each={NAV.filter((item) => item.signedIn && (!item.adminOnly || likelyAdmin()))}>
        {(item) => <NavLink item={item} />}
      </For>
    </Show>
  );
  return (
    <nav aria-label="Main" onKeyDown={closeOnEscape} onClick={closeOnLink}>
      <button
        ref={toggle}
        type="button"
        class="button button-small menu-button"
        aria-expanded={open()}
        aria-controls="main-links"
        onClick={() => setOpen(!open())}
      >
        <span class="menu-icon" aria-hidden="true" />
        Menu
      </button>
      <ul id="main-links" class="nav-list" classList={{ "nav-open": open() }}>
        <For each={NAV.filter((item) => !item.signedIn)}>{(item) => <NavLink item={item} />}</For>
        {/*
         * While the session loads, a browser that holds a session's CSRF cookie draws the signed-in links it will
         * almost surely get: drawn only after, they wrapped the header to a second row and moved the page down.
         * Admin among them only when the server said so earlier in this same session (likelyAdmin): never to
         * anyone else, and an admin's header no longer grows a link once the answer comes. The same while the
         * answer is not known because asking failed (rate limited): a signed-in user is not shown signed out.
         */}
        <Suspense fallback={likelyLinks()}>
          <Show when={user()} fallback={user() === undefined ? likelyLinks() : null}>
            {(current) => (
              <For each={NAV.filter((item) => item.signedIn && (!item.adminOnly || current().role === "admin"))}>
                {(item) => <NavLink item={item} />}
              </For>
            )}
          </Show>
        </Suspense>
        <li>
          <a href="/api/docs" class="nav-link" rel="external">
            API docs
          </a>
        </li>
      </ul>
    </nav>
  );
}

/** Where to reach support, in every page's footer, when the operator named an address (SUPPORT_EMAIL). */
function Support() {
  const email = useSupportEmail();
  return (
    <Suspense>
      <Show when={email()}>
        {(address) => (
          <span>
            Support: <a href={`mailto:${address()}`}>{address()}</a>
          </span>
        )}
      </Show>
    </Suspense>
  );
}

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
      {/*
       * The router takes the click on "#main" as a navigation, which scrolls but leaves focus on this link: focus
       * <main> itself (tabindex -1), and keep the URL as it is.
       */}
      <a
        class="skip-link"
        href="#main"
        on:click={(event) => {
          event.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="site-header">
        <div class="container header-inner">
          <A href="/" class="brand" aria-label="CryptoVault home">
            <img src="/favicon.svg" alt="" width="28" height="28" />
            <span>CryptoVault</span>
          </A>
          <div class="header-nav">
            <MainNav />
            <Suspense fallback={<span class="account-actions" aria-hidden="true" />}>
              <AccountActions />
            </Suspense>
          </div>
        </div>
      </header>
      <main id="main" class="container main" tabindex="-1">
        {/* A page fails with what it loaded: the router keeps a failed load (config, session) as its answer, so a
            retry asks the server again for everything before the page is drawn anew. */}
        <ErrorBoundary
          fallback={(error, reset) => (
            <ErrorNotice
              error={error}
              pageHeading
              onRetry={() => {
                void revalidate();
                reset();
              }}
            />
          )}
        >
          <Suspense fallback={<Loading pageHeading />}>{props.children}</Suspense>
        </ErrorBoundary>
      </main>
      <footer class="site-footer">
        <div class="container footer-inner">
          <span>© CryptoVault</span>
          <Support />
          <Version />
        </div>
      </footer>
      <FiredAlerts />
      <Announcer />
    </div>
  );
}
