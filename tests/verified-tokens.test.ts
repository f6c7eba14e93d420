import { describe, expect, test } from "bun:test";
import { MAX_REMEMBERED_TOKENS, type TokenClaims, verifyOnce } from "../src/platform/http/verified-tokens";

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
    expect(await verifyOnce(verify, "t", now)).toEqual({ sub: "u", sid: "s", exp });
    expect(await verifyOnce(verify, "t", exp * 1000 - 1)).toEqual({ sub: "u", sid: "s", exp });
    expect(calls).toHaveLength(1);
  });

  test("from the second of its exp on, the token is verified again (and the verifier's refusal stands)", async () => {
    let refuse = false;
    const { verify, calls } = recording(() => (refuse ? false : { exp }));
    expect(await verifyOnce(verify, "t", now)).toEqual({ exp });
    refuse = true;
    expect(await verifyOnce(verify, "t", exp * 1000)).toBe(false);
    expect(await verifyOnce(verify, "t", now)).toBe(false);
    expect(calls).toHaveLength(3);
  });

  test("a refusal is never remembered as a pass, and a token without exp is verified every time", async () => {
    const refusing = recording(() => false);
    expect(await verifyOnce(refusing.verify, "forged", now)).toBe(false);
    expect(await verifyOnce(refusing.verify, "forged", now)).toBe(false);
    expect(refusing.calls).toHaveLength(2);
    const noExp = recording(() => ({ sub: "u" }));
    await verifyOnce(noExp.verify, "plain", now);
    await verifyOnce(noExp.verify, "plain", now);
    expect(noExp.calls).toHaveLength(2);
  });

  test("one verifier's passes are not another's (another key)", async () => {
    const first = recording(() => ({ exp }));
    const other = recording(() => false);
    expect(await verifyOnce(first.verify, "t", now)).toEqual({ exp });
    expect(await verifyOnce(other.verify, "t", now)).toBe(false);
    expect(other.calls).toHaveLength(1);
  });

  test("the memory is bounded: when full, expired tokens are forgotten first, and all of them if none has expired", async () => {
    const expOf = new Map<string, number>();
    const { verify, calls } = recording((token) => ({ exp: expOf.get(token) as number }));
    const remember = async (token: string, tokenExp: number, at: number) => {
      expOf.set(token, tokenExp);
      await verifyOnce(verify, token, at);
    };
    const soon = now / 1000 + 1;
    for (let i = 0; i < MAX_REMEMBERED_TOKENS; i++) await remember(`t${i}`, i % 2 ? exp : soon, now);
    const later = now + 1000;
    await remember("newcomer", exp, later); // full: the expired half goes
    calls.length = 0;
    await verifyOnce(verify, "t1", later);
    await verifyOnce(verify, "newcomer", later);
    expect(calls).toEqual([]);
    for (let i = 0; i < MAX_REMEMBERED_TOKENS; i++) await remember(`u${i}`, exp, later);
    calls.length = 0;
    await verifyOnce(verify, "t1", later); // the memory filled with live tokens and was cleared: verified afresh
    expect(calls).toEqual(["t1"]);
  });
});
