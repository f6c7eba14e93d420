/** Times as every page shows them (web/src/lib/format.ts): a time names its zone, a UTC day does not. */
import { expect, test } from "bun:test";
import { changeTrend, dateTimeFormats, formatChange, formatDateTime } from "../../web/src/lib/format";

const instant = new Date("2025-03-12T13:05:09.000Z");

test("a time is the wall time of its zone, followed by the zone's name, held to it by a no-break space", () => {
  const berlin = dateTimeFormats("Europe/Berlin", "en-GB");
  expect(berlin.minute(instant)).toBe("12 Mar 2025, 14:05\u00a0CET");
  expect(berlin.second(instant)).toBe("12 Mar 2025, 14:05:09\u00a0CET");
  expect(berlin.minute(new Date("2025-07-01T12:00:00.000Z"))).toBe("1 Jul 2025, 14:00\u00a0CEST");
  // New York had moved to summer time (EDT, UTC−4) on 9 March.
  expect(dateTimeFormats("America/New_York", "en-GB").minute(instant)).toBe("12 Mar 2025, 09:05\u00a0GMT-4");
  expect(dateTimeFormats("UTC", "en-GB").minute(instant)).toBe("12 Mar 2025, 13:05\u00a0UTC");
  expect(dateTimeFormats("UTC", "en-GB").time(instant)).toBe("13:05\u00a0UTC");
  expect(berlin.time(instant)).toBe("14:05\u00a0CET");
});

test("formatDateTime says the user's own zone, to the minute or to the second", () => {
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
    .formatToParts(instant)
    .find((part) => part.type === "timeZoneName")?.value;
  expect(zone).toBeString();
  expect(formatDateTime(instant.toISOString())).toEndWith(`\u00a0${zone}`);
  expect(formatDateTime(instant.toISOString(), "second")).toEndWith(`\u00a0${zone}`);
  expect(formatDateTime(instant.toISOString(), "second")).toContain(":09");
});

test("a UTC day stays a date, and what is not a date is shown as it came", () => {
  const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(instant);
  expect(formatDateTime("2025-03-12T23:59:00.000Z", "utcDay")).toBe(day);
  expect(formatDateTime("soon")).toBe("soon");
  expect(formatDateTime(null)).toBe("—");
});

test("a 24h change carries its sign both ways, and zero none", () => {
  expect(formatChange("0.03")).toBe("+0.03%");
  expect(formatChange("-0.02")).toBe("\u22120.02%");
  expect(formatChange("+1.5")).toBe("+1.5%");
  expect(formatChange("0.00")).toBe("0.00%");
  expect(formatChange("-0.00")).toBe("0.00%");
  expect(formatChange("n/a")).toBe("n/a%");
});

test("a change's direction is what the tile and its sparkline are coloured by", () => {
  expect(changeTrend("0.03")).toBe("up");
  expect(changeTrend("-0.02")).toBe("down");
  expect(changeTrend("0.00")).toBe("flat");
  expect(changeTrend("-0")).toBe("flat");
  expect(changeTrend("")).toBe("flat");
});
