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

/**
 * The path of a request's URL, without throwing. Bun's `request.url` is not always absolute: an HTTP/1.0
 * request without Host, an empty or malformed Host (`a b`, a port past 65535) and a CONNECT give a bare path,
 * an unparseable origin or the CONNECT target, on which `new URL` throws — and the throw in the request log
 * once took the whole process down. A URL without a path (the CONNECT target) answers as itself.
 */
export function requestPath(url: string): string {
  const origin = ORIGIN.exec(url)?.[0] ?? "";
  const rest = url.slice(origin.length);
  const path = rest.slice(0, rest.search(/[?#]|$/));
  return path || (origin ? "/" : url);
}
