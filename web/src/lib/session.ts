import { createAsync, query, revalidate } from "@solidjs/router";
import { ApiError, api, likelySignedIn, onSessionExpired, readCookie } from "./api";
import { onFrame, onResync, reconnectForSession } from "./ws";

/** `user` of API.md "Identity". */
export type User = {
  id: string;
  email: string;
  name: string;
  role: "user" | "admin";
  emailVerified: boolean;
  twoFactorEnabled: boolean;
  antiPhishingCode: string | null;
  /** Sent by the server (not in API.md's `user`): a frozen account can sign in and read, not move money. */
  frozen?: boolean;
  /** Sent by the server (not in API.md's `user`): withdrawals and transfers are paused until then after a security change. */
  withdrawalsLockedUntil?: string | null;
  createdAt: string;
};

/**
 * Where this browser notes that its current session is an admin's (see likelyAdmin): a fingerprint of the session's
 * csrf_token, never the token itself.
 */
const ADMIN_SESSION_KEY = "cryptovault.admin-session";

/** A fingerprint (FNV-1a) of the csrf_token cookie, which each sign-in sets anew; undefined without one. */
function sessionMark(): string | undefined {
  const token = readCookie("csrf_token");
  if (!token) return undefined;
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/** Notes whether the session the cookies hold now is an admin's, as the server just said. */
function rememberRole(user: User | null) {
  try {
    const mark = sessionMark();
    if (user?.role === "admin" && mark) localStorage.setItem(ADMIN_SESSION_KEY, mark);
    else localStorage.removeItem(ADMIN_SESSION_KEY);
  } catch {
    // No storage (a locked-down browser): the Admin link waits for GET /api/auth/me.
  }
}

/**
 * Whether the server said, earlier in this very session (the same csrf_token), that its user is an admin: the header
 * draws the Admin link with the other signed-in links before GET /api/auth/me answers, instead of adding it
 * afterwards. Another session (another user signing in, even in this browser) has another token, so a user who is
 * not an admin never gets it; only an admin demoted since sees the link until the answer comes.
 */
export function likelyAdmin(): boolean {
  try {
    const mark = sessionMark();
    return mark !== undefined && localStorage.getItem(ADMIN_SESSION_KEY) === mark;
  } catch {
    return false;
  }
}

/** GET /api/auth/me: the user, or null when nobody is signed in; any other failure is thrown. */
async function readSessionUser(): Promise<User | null> {
  // Sign-in sets the script-readable csrf_token with the session cookies and sign-out clears it: without it
  // nobody is signed in here, and asking would only print a 401 in every signed-out visitor's console.
  if (!likelySignedIn()) return null;
  try {
    const { user } = await api.get<{ user: User }>("/api/auth/me");
    rememberRole(user);
    return user;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      rememberRole(null);
      return null;
    }
    throw error;
  }
}

/**
 * The signed-in user, or null when nobody is signed in. Fetched once (GET /api/auth/me) and shared by the
 * header and every page; login, logout and profile changes replace it with setSessionUser.
 * Any other failure (server down) is thrown, so pages can show it with a retry.
 */
export const getSessionUser = query(readSessionUser, "session-user");

/** The user, null when signed out; a failure to ask (server down) is thrown to the nearest ErrorBoundary. */
export function useSessionUser() {
  return createAsync(() => getSessionUser());
}

/** Like useSessionUser, but a failure to ask counts as "not signed in" (for the sign-in pages). */
export function useOptionalSessionUser() {
  return createAsync(() => getSessionUser().catch(() => null));
}

/**
 * For the header: the user, null when signed out, and undefined while not known, which includes a failure to ask
 * (rate limited, server down). A signed-in user must not be shown as signed out because GET /api/auth/me was refused
 * for a minute: the header keeps what the session cookie suggests (likelySignedIn) until an answer comes.
 */
export function useSessionUserIfKnown() {
  return createAsync(() => getSessionUser().catch(() => undefined));
}

/** The cached user; undefined when it was never loaded. */
function cachedUser(): User | null | undefined {
  try {
    return query.get(getSessionUser.keyFor()) as User | null | undefined;
  } catch {
    return undefined; // never loaded
  }
}

/** Replaces the shared user without asking the server (it just told us), and updates every reader. */
export function setSessionUser(user: User | null) {
  // Another account (or none): the live socket must not keep speaking for the previous one.
  if (cachedUser()?.id !== user?.id) reconnectForSession();
  rememberRole(user);
  query.set(getSessionUser.keyFor(), user);
  return revalidate(getSessionUser.key, false);
}

/** Asks the server again (e.g. after verifying the email in another tab). */
export function reloadSessionUser() {
  return revalidate(getSessionUser.key);
}

/**
 * Reads the user from the server now, shares it and answers it: for a page that must say what a change just did
 * to the user record (the end of a withdrawal pause), which a revalidation would only update some time later.
 */
export async function rereadSessionUser(): Promise<User | null> {
  const user = await readSessionUser();
  await setSessionUser(user);
  return user;
}

/** A security change (password, 2FA, sessions) can change the user record (a withdrawal pause): ask again. */
onFrame("security", () => {
  if (cachedUser()) void reloadSessionUser();
});
onResync(() => {
  if (cachedUser()) void reloadSessionUser();
});

/** A request ended in 401 and the session could not be refreshed: nobody is signed in any more. */
onSessionExpired(() => {
  if (cachedUser()) void setSessionUser(null);
});

/** POST /api/auth/logout. A 401 means the session is already gone, which is just as good. */
export async function signOut() {
  try {
    await api.post("/api/auth/logout");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  }
  await setSessionUser(null);
}
