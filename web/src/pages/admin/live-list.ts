import { createSignal } from "solid-js";
import type { AlertTone } from "../../components/Alert";
import { focusIfLost } from "../../lib/focus";
import type { PagedList } from "../../lib/paged-list";
import { refreshWhileVisible } from "../../lib/while-visible";

/** How often /admin's lists are read again while it is shown: the longest a newly held item waits to be listed. */
const REFRESH_MS = 20_000;

type Dated = { createdAt: string };

/**
 * An admin's list of other users' items, of which no live event tells (an admin gets the private events of their
 * own account only): read again every REFRESH_MS while the page is shown, and as it is shown again; not while
 * `busy` (a decision on its way, which changes the list anyway) or while it loads already. The reload keeps
 * unchanged rows as they were (paged-list), so how far the list was paged, a question asked in a row and a reason
 * being typed there stay.
 *
 * `note` is what the panel says of the admin's last action ("Approved the withdrawal of …"): once the list has been
 * read again after it, the list shows what came of it, and the note goes rather than stand over newer items.
 */
export function createLiveList<T extends Dated>(list: () => PagedList<T>, options: { headingId: string; busy?: () => boolean }) {
  const [note, setNote] = createSignal<{ tone: AlertTone; text: string }>();

  const dropNote = () => {
    const heading = document.getElementById(options.headingId);
    const focused = document.activeElement;
    const noteHadFocus = !!focused?.closest(".notice") && !!heading?.closest("section")?.contains(focused);
    setNote(undefined);
    // The note had taken the focus from its row's button, gone with the row: it goes on to the panel's heading.
    if (noteHadFocus && heading) focusIfLost()(heading);
  };

  /** Reads the list again (Refresh, its retry, the timer); a note older than the read goes once it has answered. */
  const reload = async () => {
    const said = note();
    await list().load(false);
    if (said && note() === said && !list().error()) dropNote();
  };

  refreshWhileVisible(() => {
    if (!options.busy?.() && list().loading() === undefined) void reload();
  }, REFRESH_MS);

  /** Makes a change to the list; a reload under way read it before the change, and would undo it: it is read again. */
  const change = (apply: (shown: PagedList<T>) => void) => {
    const stale = list().loading() === "first";
    apply(list());
    if (stale) void list().load(false);
  };

  return {
    note,
    setNote,
    /** Forgets the note without reading the list (the panel shows another list now). */
    clearNote: () => setNote(undefined),
    reload,
    /** Takes a decided item off the list. */
    remove: (id: string) => change((shown) => shown.remove(id)),
    /** Puts a changed item (resolved) in its place. */
    replace: (changed: T) => change((shown) => shown.replace(changed)),
  };
}
