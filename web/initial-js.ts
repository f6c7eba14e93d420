import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

/** The JavaScript budget of the first page load (issue 7): the entry chunk and everything it imports statically. */
export const INITIAL_JS_BUDGET_BYTES = 100 * 1024;

/** Prints the gzipped size of the initial JavaScript after every build and fails the build over budget. */
export function initialJsReport(): Plugin {
  return {
    name: "initial-js-report",
    apply: "build",
    generateBundle(_options, bundle) {
      const chunks = new Map(
        Object.values(bundle).flatMap((item) => (item.type === "chunk" ? [[item.fileName, item] as const] : [])),
      );
      const initial = new Set<string>();
      const visit = (file: string) => {
        if (initial.has(file)) return;
        initial.add(file);
        for (const imported of chunks.get(file)?.imports ?? []) visit(imported);
      };
      for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName);
      const bytes = [...initial].reduce((sum, file) => sum + gzipSync(chunks.get(file)?.code ?? "").length, 0);
      this.info(
        `initial JS ${(bytes / 1024).toFixed(1)} KB gzipped in ${initial.size} chunks (budget ${INITIAL_JS_BUDGET_BYTES / 1024} KB)`,
      );
      if (bytes > INITIAL_JS_BUDGET_BYTES)
        this.error(`initial JS is ${bytes} bytes gzipped, over the ${INITIAL_JS_BUDGET_BYTES} byte budget`);
    },
  };
}
