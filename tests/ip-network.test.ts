/** budgetNetwork (src/platform/http/ip-network.ts): what a per-IP budget counts a client address as. */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { budgetNetwork } from "../src/platform/http/ip-network";
import { TestClient } from "./support/client";
import { createTestApp } from "./support/harness";

setDefaultTimeout(30_000);

test("IPv4 as itself, mapped or not; IPv6 as its /64, however it is spelled", () => {
  const cases: [string, string][] = [
    ["198.51.100.7", "198.51.100.7"],
    ["::ffff:198.51.100.7", "198.51.100.7"],
    ["::ffff:c633:6407", "198.51.100.7"],
    ["2001:db8:9:9::1", "2001:db8:9:9::/64"],
    ["2001:db8:9:9:0:0:0:1", "2001:db8:9:9::/64"],
    ["2001:DB8:9:9:ffff:1:2:3", "2001:db8:9:9::/64"],
    ["2001:db8::5", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["2001:db8:9:9::7%eth0", "2001:db8:9:9::/64"],
  ];
  expect(cases.map(([ip]) => [ip, budgetNetwork(ip)])).toEqual(cases);
});

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ TRUST_PROXY: "true", RATE_LIMIT_PER_MINUTE: "5" });
});
afterAll(() => fixture.dispose());

test("one subscriber's addresses share one budget: a new address of its /64 is 429 too, another /64 is not", async () => {
  const statusFrom = async (ip: string) => {
    const client = new TestClient(fixture);
    client.ip = ip;
    return (await client.request("GET", "/api/config")).status;
  };
  const statuses = [];
  for (let i = 1; i <= 6; i++) statuses.push(await statusFrom(`2001:db8:77:1::${i.toString(16)}`));
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  expect(await statusFrom("2001:db8:77:1:0:0:0:ff")).toBe(429);
  expect(await statusFrom("2001:db8:77:2::1")).toBe(200);
});
