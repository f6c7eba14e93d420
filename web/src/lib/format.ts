/**
 * The date as dateStyle "medium" writes it ("12 Mar 2025"), field by field: a date or time style cannot be combined
 * with timeZoneName.
 */
const MEDIUM_DATE = { year: "numeric", month: "short", day: "numeric" } as const;
const ZONED_MINUTE = { ...MEDIUM_DATE, hour: "numeric", minute: "2-digit", timeZoneName: "short" } as const;

/**
 * A format as a function of the date, the zone's name held to the time before it by a no-break space: a narrow cell
 * wraps the date over "14:05 CET", never the zone alone onto a line of its own.
 */
function formatter(locales: string | undefined, options: Intl.DateTimeFormatOptions) {
  const format = new Intl.DateTimeFormat(locales, options);
  return (date: Date) =>
    format
      .formatToParts(date)
      .map((part, i, parts) => (parts[i + 1]?.type === "timeZoneName" ? part.value.replaceAll(" ", "\u00a0") : part.value))
      .join("");
}

/**
 * The formats of formatDateTime in `timeZone` and `locales` (the browser's own when undefined). A time names its zone
 * ("12 Mar 2025, 14:05 CET", "Mar 12, 2025, 2:05 PM GMT+1"): the user compares it with an email's (UTC) or with
 * what support reads out, and a bare "14:05" does not say which clock it is on.
 */
export function dateTimeFormats(timeZone?: string, locales?: string) {
  return {
    minute: formatter(locales, { ...ZONED_MINUTE, timeZone }),
    second: formatter(locales, { ...ZONED_MINUTE, second: "2-digit", timeZone }),
    /** The time alone ("14:05 CET"), for a moment within the next hours, such as when a rate limit lifts. */
    time: formatter(locales, { hour: "numeric", minute: "2-digit", timeZoneName: "short", timeZone }),
    /**
     * A price chart's candle, without the zone: the chart's own time axis reads the same clock and names none, and
     * its data table would repeat one zone on every row.
     */
    chartMinute: formatter(locales, { dateStyle: "medium", timeStyle: "short", timeZone }),
    utcDay: formatter(locales, { dateStyle: "medium", timeZone: "UTC" }),
  };
}

const dateTimes = dateTimeFormats();

/**
 * "12 Mar 2025, 14:05 CET" in the user's locale and zone (to the `second`, "14:05:09 CET", for times the minute does
 * not tell apart; the `time` alone, "14:05 CET", for a moment later today; "12 Mar 2025" for a `utcDay`, a period
 * the server counts in UTC days, such as a day candle); the raw text when it is not a date.
 */
export function formatDateTime(iso: string | null | undefined, to: keyof typeof dateTimes = "minute"): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimes[to](date);
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

/** Which way a signed percentage change ("0.03", "-0.02", "0.00") goes; "flat" for zero or what is not a number. */
export function changeTrend(change: string): "up" | "down" | "flat" {
  const match = /^([+-]?)(\d+(?:\.\d+)?)$/.exec(change.trim());
  if (!match || /^[0.]+$/.test(match[2] ?? "")) return "flat";
  return match[1] === "-" ? "down" : "up";
}

/** The minus sign of a figure shown as text ("−0.07 USD"): as wide as the plus, where a hyphen reads as a dash. */
export const MINUS = "\u2212";

/**
 * A 24h change as a signed percentage: "+0.03%", "−0.02%" (a minus sign, as wide as the plus), "0.00%" unsigned.
 * Both directions carry their sign, so neither is read from its colour alone.
 */
export function formatChange(change: string): string {
  const magnitude = change.trim().replace(/^[+-]/, "");
  const sign = { up: "+", down: MINUS, flat: "" }[changeTrend(change)];
  return `${sign}${magnitude}%`;
}
