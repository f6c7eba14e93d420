/** The password hasher (src/modules/identity/passwords.ts): the same work for an unknown email as for a wrong password. */
import { expect, test } from "bun:test";
import { createPasswordHasher } from "../src/modules/identity/passwords";

test("an unknown email's check spends the argon2 work of a known one's wrong password, normalized or not", async () => {
  const hasher = createPasswordHasher(1024);
  const hash = await hasher.hash("correct horse 1");
  await hasher.verifyNothing("warm up the dummy hash");
  const original = Bun.password.verify;
  let calls = 0;
  Bun.password.verify = ((...args: Parameters<typeof original>) => {
    calls++;
    return original(...args);
  }) as typeof original;
  try {
    for (const typed of ["wrong password", "wrong ｐassword", "crème".normalize("NFD")]) {
      calls = 0;
      expect(await hasher.verify(typed, hash)).toEqual({ matches: false, rehash: false });
      const known = calls;
      calls = 0;
      await hasher.verifyNothing(typed);
      expect([typed, calls]).toEqual([typed, known]);
    }
  } finally {
    Bun.password.verify = original;
  }
});
