/**
 * A tiny test harness for the browser flows (not bun:test: `bun test` must never pick these files up).
 * A flow is a sequence of steps; each step is bounded by a timeout. When a step fails, the rest of its flow
 * cannot mean anything and is reported as not run (and counted as failed), while the other flows go on.
 */

export type StepResult = { flow: string; step: string; ok: boolean; ms: number; error?: string; skipped?: boolean };

const results: StepResult[] = [];
const notes: string[] = [];

/** Rejects after `ms` with a message naming what was waited for. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class AssertionError extends Error {}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertEqual<T>(actual: T, expected: T, what: string) {
  if (actual !== expected)
    throw new AssertionError(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Polls `probe` until it returns a truthy value (returned) or `ms` pass (thrown with the last value seen). */
export async function eventually<T>(probe: () => Promise<T>, ms: number, what: string, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() > deadline) throw new AssertionError(`not within ${ms} ms: ${what} (last: ${JSON.stringify(last)})`);
    await Bun.sleep(everyMs);
  }
}

export type Step = { name: string; ms?: number; run: () => Promise<void> };

/** Asked, when a step fails, for what the browser shows then (see diagnostics.ts); given as the step's label. */
let describeFailure: ((label: string) => Promise<string>) | undefined;
export function onStepFailure(describe: (label: string) => Promise<string>) {
  describeFailure = describe;
}

const DEFAULT_STEP_MS = 30_000;

/** Runs the steps of one flow in order; stops at the first failure and reports the rest as not run. */
export async function flow(name: string, steps: Step[]) {
  console.log(`\n${name}`);
  let failed = false;
  for (const step of steps) {
    if (failed) {
      results.push({ flow: name, step: step.name, ok: false, ms: 0, skipped: true });
      console.log(`  - ${step.name} (not run: an earlier step failed)`);
      continue;
    }
    const started = performance.now();
    try {
      await within(step.run(), step.ms ?? DEFAULT_STEP_MS, step.name);
      const ms = Math.round(performance.now() - started);
      results.push({ flow: name, step: step.name, ok: true, ms });
      console.log(`  ✓ ${step.name} (${ms} ms)`);
    } catch (error) {
      failed = true;
      const ms = Math.round(performance.now() - started);
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.push({ flow: name, step: step.name, ok: false, ms, error: message });
      console.log(`  ✗ ${step.name} (${ms} ms)\n${indent(message)}`);
      const label = step.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
      const seen = await within(describeFailure?.(label) ?? Promise.resolve(""), 10_000, "the failure's description").catch(
        (problem: Error) => `(no description: ${problem.message})`,
      );
      if (seen) console.log(indent(`what the browser showed:\n${seen}`, 40));
    }
  }
}

/** Something worth saying in the summary that is neither a pass nor a failure (e.g. a screen not reachable). */
export function note(text: string) {
  notes.push(text);
  console.log(`  · ${text}`);
}

function indent(text: string, lines = 12) {
  return text
    .split("\n")
    .slice(0, lines)
    .map((line) => `      ${line}`)
    .join("\n");
}

export function summary() {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  return { passed, failed, results, notes };
}
