const dateTimes = {
  minute: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }),
  second: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }),
  utcDay: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }),
};

/**
 * "12 Mar 2025, 14:05" in the user's locale (to the `second`, "14:05:09", for times the minute does not tell apart;
 * "12 Mar 2025" for a `utcDay`, a period the server counts in UTC days, such as a day candle); the raw text when it is
 * not a date.
 */
export function formatDateTime(iso: string | null | undefined, to: keyof typeof dateTimes = "minute"): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimes[to].format(date);
}

/** "Firefox on Linux" from a User-Agent header; "Unknown device" when there is nothing to go on. */
export function describeUserAgent(ua: string | null | undefined): string {
  if (!ua) return "Unknown device";
  const browser =
    (/Edg(e|A|iOS)?\//.test(ua) && "Edge") ||
    (/OPR\/|Opera/.test(ua) && "Opera") ||
    (/Firefox\/|FxiOS/.test(ua) && "Firefox") ||
    (/Chrome\/|CriOS/.test(ua) && "Chrome") ||
    (/Safari\//.test(ua) && "Safari") ||
    (/^curl\//i.test(ua) && "curl") ||
    undefined;
  const os =
    (/Android/.test(ua) && "Android") ||
    (/iPhone|iPad|iPod/.test(ua) && "iOS") ||
    (/Windows/.test(ua) && "Windows") ||
    (/Mac OS X|Macintosh/.test(ua) && "macOS") ||
    (/CrOS/.test(ua) && "ChromeOS") ||
    (/Linux/.test(ua) && "Linux") ||
    undefined;
  if (browser && os) return `${browser} on ${os}`;
  if (browser || os) return (browser ?? os) as string;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}
