/**
 * What the app says to screen readers without moving focus: live news (money received), a quote about to expire,
 * an error next to the field that already has focus. One pair of live regions for the whole app (Announcer, in
 * the layout, present before anything is said: text put into a region that appears with it is often not read).
 */
import { createSignal } from "solid-js";

/** "polite" waits for the screen reader to finish; "assertive" interrupts it (errors only). */
export type Politeness = "polite" | "assertive";
type Announcement = { text: string; politeness: Politeness };

/** Long enough for the message to be read; gone after that, so the regions never pile up old news. */
const SHOWN_MS = 7_000;

const [said, setSaid] = createSignal<Announcement[]>([]);
/** What is being said now, oldest first: rendered by components/Announcer. */
export const announcements = said;

/**
 * Says `text` once. Each message is a node of its own in the region, so the same text said twice (the same
 * error after a second Enter) is read twice, and two messages close together are both read.
 */
export function announce(text: string, politeness: Politeness = "polite") {
  const announcement = { text, politeness };
  setSaid((shown) => [...shown, announcement]);
  setTimeout(() => setSaid((shown) => shown.filter((item) => item !== announcement)), SHOWN_MS);
}
