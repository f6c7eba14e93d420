/** decodeURIComponent that answers undefined for a malformed escape ("%E0%A4%A") instead of throwing URIError. */
export function decodeUriComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** A URL's scheme and authority (`http://host:port`), however malformed the authority. */
const ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;

/**
 * Whether Bun gave the request's URL with its origin. Without a usable Host (none in HTTP/1.0, an invalid one)
 * and for CONNECT it gives a bare path or the target alone, which Elysia's router and `requestPath` read apart.
 */
export const hasOrigin = (url: string) => ORIGIN.test(url);

/** RFC 3986's host (an IP literal in brackets, or a name of its characters) and an optional port. */
const HOST = /^(?:\[[\dA-Fa-f:.]+\]|[\w.~!$&'()*+,;=%-]+)(?::(\d{1,5}))?$/;

/**
 * Whether a Host header names one host and a port that can be, as RFC 9112 asks of a request it serves. Bun
 * joins two Host lines with ", " and passes a port past 65535 on as given.
 */
export function isUsableHost(host: string): boolean {
  const match = HOST.exec(host);
  return match !== null && (match[1] === undefined || Number(match[1]) <= 65535);
}

/**
 * The path of a request's URL, without throwing. Bun's `request.url` is not always one `new URL` reads: an
 * HTTP/1.0 request without Host and an empty or malformed Host (`a b`) give a bare path, a CONNECT its target,
 * a port past 65535 an origin that does not parse — and a throw in the request log once took the whole process
 * down. A URL without a path (the CONNECT target) answers as itself.
 */
export function requestPath(url: string): string {
  const origin = ORIGIN.exec(url)?.[0] ?? "";
  const rest = url.slice(origin.length);
  const path = rest.slice(0, rest.search(/[?#]|$/));
  return path || (origin ? "/" : url);
}
