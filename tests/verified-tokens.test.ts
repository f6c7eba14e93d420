import { describe, expect, test } from "bun:test";
import { MAX_REMEMBERED_TOKENS, type TokenClaims, verifyOnce } from "../src/platform/http/verified-tokens";

/** A token in the compact HS256 form, named for the test (the verifier here decides whether it passes). */
const token = (name: string) => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(name).toString("base64url")}.${"s".repeat(43)}`;

/** A verifier answering as `answer` does, recording every token it is asked about. */
function recording(answer: (token: string) => TokenClaims | false) {
  const calls: string[] = [];
  const verify = async (token: string) => {
    calls.push(token);
    return answer(token);
  };
  return { verify, calls };
}

describe("verifyOnce", () => {
  const now = 1_800_000_000_000;
  const exp = now / 1000 + 900;

  test("a token that passed is not verified again while it lives, and its claims are the verifier's", async () => {
    const { verify, calls } = recording(() => ({ sub: "u", sid: "s", exp }));
    expect(await verifyOnce(verify, token("t"), now)).toEqual({ sub: "u", sid: "s", exp });
    expect(await verifyOnce(verify, token("t"), exp * 1000 - 1)).toEqual({ sub: "u", sid: "s", exp });
    expect(calls).toHaveLength(1);
  });

  test("from the second of its exp on, the token is verified again (and the verifier's refusal stands)", async () => {
    let refuse = false;
    const { verify, calls } = recording(() => (refuse ? false : { exp }));
    expect(await verifyOnce(verify, token("t"), now)).toEqual({ exp });
    refuse = true;
    expect(await verifyOnce(verify, token("t"), exp * 1000)).toBe(false);
    expect(await verifyOnce(verify, token("t"), now)).toBe(false);
    expect(calls).toHaveLength(3);
  });

  test("a refusal is never remembered as a pass, and a token without exp is refused however it is signed", async () => {
    const refusing = recording(() => false);
    expect(await verifyOnce(refusing.verify, token("forged"), now)).toBe(false);
    expect(await verifyOnce(refusing.verify, token("forged"), now)).toBe(false);
    expect(refusing.calls).toHaveLength(2);
    const noExp = recording(() => ({ sub: "u" }));
    expect(await verifyOnce(noExp.verify, token("plain"), now)).toBe(false);
    expect(await verifyOnce(noExp.verify, token("plain"), now)).toBe(false);
    expect(noExp.calls).toHaveLength(2);
  });

  test("one verifier's passes are not another's (another key)", async () => {
    const first = recording(() => ({ exp }));
    const other = recording(() => false);
    expect(await verifyOnce(first.verify, token("t"), now)).toEqual({ exp });
    expect(await verifyOnce(other.verify, token("t"), now)).toBe(false);
    expect(other.calls).toHaveLength(1);
  });

  test("the memory is bounded: when full, expired tokens are forgotten first, then the oldest one", async () => {
    const expOf = new Map<string, number>();
    const { verify, calls } = recording((value) => ({ exp: expOf.get(value) as number }));
    const remember = async (name: string, tokenExp: number, at: number) => {
      expOf.set(token(name), tokenExp);
      await verifyOnce(verify, token(name), at);
    };
    const known = async (name: string, at: number) => {
      calls.length = 0;
      await verifyOnce(verify, token(name), at);
      return calls.length === 0;
    };
    const soon = now / 1000 + 1;
    for (let i = 0; i < MAX_REMEMBERED_TOKENS; i++) await remember(`t${i}`, i % 2 ? exp : soon, now);
    const later = now + 1000;
    await remember("newcomer", exp, later); // full: the expired half goes
    expect([await known("t1", later), await known("newcomer", later)]).toEqual([true, true]);
    for (let i = 1; i < MAX_REMEMBERED_TOKENS / 2; i++) await remember(`u${i}`, exp, later); // full again, all live
    expect(await known("t1", later)).toBe(true);
    await remember("last", exp, later); // the one remembered longest ago makes room
    expect([await known("t3", later), await known("last", later)]).toEqual([true, true]);
    expect(await known("t1", later)).toBe(false);
  });

  test("only the compact HS256 form is verified: other spellings of a token are refused unasked", async () => {
    const { verify, calls } = recording(() => ({ exp }));
    const genuine = token("t");
    const [head, payload, signature] = genuine.split(".");
    const spellings = [
      `${head}.${payload}.${signature.slice(0, 10)} ${signature.slice(10)}`,
      `${head}.${payload}.${signature.slice(0, 10)}\t${signature.slice(10)}`,
      `${genuine}=`,
      `${genuine}x`,
      `${head}.${payload}.${signature.slice(1)}`,
      `${head}.${payload}.${"s".repeat(86)}`, // HS512's length
      `${head}.${payload}`,
      `${head}.${payload}.${signature}.x`,
      `${head}.${payload}+/.${signature}`,
      `${head}.${"A".repeat(1100)}.${signature}`,
      "",
    ];
    for (const spelling of spellings) expect(await verifyOnce(verify, spelling, now)).toBe(false);
    expect(calls).toEqual([]);
    expect(await verifyOnce(verify, genuine, now)).toEqual({ exp });
  });
});
