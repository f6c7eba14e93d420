import { expect, test } from "bun:test";
import { describeMetadata } from "../../web/src/lib/audit";

test("audit details read as words: keys split and known abbreviations capitalised, underscores in values spaced", () => {
  expect(describeMetadata({ reason: "bad_password", sessionsEnded: 2 })).toBe("reason: bad password · sessions ended: 2");
  expect(describeMetadata({ orderId: "9f1c", feeUsd: "1.3", heldAsset: "USD" })).toBe(
    "order ID: 9f1c · fee USD: 1.3 · held asset: USD",
  );
  expect(describeMetadata({ via: "mail link", note: "", gone: null })).toBe("via: mail link");
  expect(describeMetadata({ recipient: "jo_ann@example.com" })).toBe("recipient: jo_ann@example.com");
  expect(describeMetadata(null)).toBe("");
});
