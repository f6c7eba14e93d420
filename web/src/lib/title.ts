import { createEffect } from "solid-js";

/** Sets the document title for the current page ("Overview · CryptoVault"). */
export function usePageTitle(title: () => string) {
  createEffect(() => {
    document.title = `${title()} · CryptoVault`;
  });
}
