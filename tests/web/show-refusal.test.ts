/** Where a refused money request is shown on a form with a review step (web/src/lib/money-errors.ts showRefusal). */
import { expect, test } from "bun:test";
import { ApiError } from "../../web/src/lib/api";
import { type MoneyProblem, moneyProblem, type ReviewedForm, showRefusal } from "../../web/src/lib/money-errors";

/** A step's form as far as the focus helpers use it: which one was searched for the place to focus. */
function fakeForm(name: string, searched: string[]) {
  const querySelector = () => {
    searched.push(name);
    return null;
  };
  return { querySelector } as unknown as HTMLFormElement;
}

async function shown(problem: MoneyProblem) {
  const searched: string[] = [];
  const seen: { errors?: Record<string, string>; formError?: { text: string; code?: string }; backToDetails: boolean } = {
    backToDetails: false,
  };
  const view: ReviewedForm = {
    details: () => fakeForm("details", searched),
    confirmation: () => fakeForm("confirmation", searched),
    setErrors: (errors) => {
      seen.errors = errors;
    },
    setFormError: (error) => {
      seen.formError = error;
    },
    backToDetails: () => {
      seen.backToDetails = true;
    },
  };
  showRefusal(problem, view);
  await Promise.resolve(); // focus is moved in a microtask, once the step is rendered
  return { ...seen, searched: [...new Set(searched)] };
}

const refusal = (status: number, code: string, message: string) =>
  moneyProblem(new ApiError({ status, code, message }), { kind: "transfer" });

test("a wrong 2FA code is shown beside the code, on the confirmation step that asked it", async () => {
  const seen = await shown(refusal(401, "INVALID_TOTP", "Invalid code"));
  expect(Object.keys(seen.errors ?? {})).toEqual(["code"]);
  expect(seen.backToDetails).toBe(false);
  expect(seen.searched).toEqual(["confirmation"]);
});

test("a problem with something typed goes back to the details, beside that field", async () => {
  const seen = await shown(refusal(422, "INSUFFICIENT_FUNDS", "Not enough"));
  expect(Object.keys(seen.errors ?? {})).toEqual(["amount"]);
  expect(seen.backToDetails).toBe(true);
  expect(seen.searched).toEqual(["details"]);
  expect(seen.formError).toBeUndefined();
});

test("any other refusal stays over the confirmation, with its code, for another try", async () => {
  const seen = await shown(refusal(403, "WITHDRAWALS_LOCKED", "Paused"));
  expect(seen.formError?.code).toBe("WITHDRAWALS_LOCKED");
  expect(seen.formError?.text).toBeTruthy();
  expect(seen.backToDetails).toBe(false);
  expect(seen.errors).toBeUndefined();
  expect(seen.searched).toEqual(["confirmation"]);
});
