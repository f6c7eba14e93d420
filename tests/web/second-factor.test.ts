/** The second-factor codes a money form or the sign-in sends (web/src/lib/second-factor.ts): none the server cannot take. */
import { expect, test } from "bun:test";
import { newRecoveryCodes } from "../../src/modules/identity/two-factor-codes";
import { isSecondFactorFormat } from "../../web/src/lib/second-factor";

test("an authenticator's 6 digits and every recovery code the server makes are sent", () => {
  expect(isSecondFactorFormat("123456")).toBe(true);
  for (const code of newRecoveryCodes()) {
    expect(isSecondFactorFormat(code)).toBe(true);
    // As a person may type it: in capitals, without the dash.
    expect(isSecondFactorFormat(code.toUpperCase().replace("-", ""))).toBe(true);
  }
});

test("anything else is refused on the page, not spent as a wrong code", () => {
  for (const code of ["", "12345", "1234567", "12345a", "k3x9q-7mzp", "k3x9q-7mzp22", "k3x9o-7mzp2", "k3x9q_7mzp2"]) {
    expect(isSecondFactorFormat(code)).toBe(false);
  }
});
