import { describe, expect, test } from "bun:test";
import { generate } from "otplib";
import { newTotpSecret, verifyTotp } from "../src/modules/identity/two-factor-codes";

/** A moment 10 s into its 30-second step, so that the step's neighbours are clearly the ones before and after. */
const STEP = 58_000_000;
const NOW = STEP * 30 + 10;
const codeAt = (secret: string, step: number) => generate({ secret, epoch: step * 30 + 5 });

describe("verifyTotp: a code, once accepted, is never accepted again", () => {
  test("the code of the current step, presented again in the same step, is refused", async () => {
    const secret = newTotpSecret();
    const code = await codeAt(secret, STEP);
    expect(await verifyTotp(secret, code, null, NOW)).toBe(STEP);
    // The step it was accepted in is now the last used one: the same code, seconds later, is a replay.
    expect(await verifyTotp(secret, code, STEP, NOW)).toBeNull();
    expect(await verifyTotp(secret, code, STEP, NOW + 15)).toBeNull();
    // Only the used step is spent: the next step's code is good.
    expect(await verifyTotp(secret, await codeAt(secret, STEP + 1), STEP, NOW + 30)).toBe(STEP + 1);
  });

  test("a used code stays refused in the next step, while drift tolerance would still accept it", async () => {
    const secret = newTotpSecret();
    const code = await codeAt(secret, STEP);
    const nextStep = NOW + 30;
    // Not yet used: the previous step's code is still good one step later (clock drift).
    expect(await verifyTotp(secret, code, STEP - 1, nextStep)).toBe(STEP);
    expect(await verifyTotp(secret, code, STEP, nextStep)).toBeNull();
  });
});
