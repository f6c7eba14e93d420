/** decodeURIComponent that answers undefined for a malformed escape ("%E0%A4%A") instead of throwing URIError. */
export function decodeUriComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
