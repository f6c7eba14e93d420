import { createSignal, For, Show } from "solid-js";
import ActionResult from "../../components/ActionResult";
import AskAgainButtons from "../../components/AskAgainButtons";
import DataTable from "../../components/DataTable";
import { Field, SelectField } from "../../components/Field";
import NetworkNote from "../../components/NetworkNote";
import SubmitButton from "../../components/SubmitButton";
import { ApiError, api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { focusFirstInvalid } from "../../lib/focus";
import { formatDateTime } from "../../lib/format";
import { actionMessage, type FieldErrors, fieldErrors, formValue, refuseProblems } from "../../lib/forms";
import { networkOf } from "../../lib/networks";
import { type BookAddress, isActive } from "../../lib/wallet";

/** Remove for a saved address, asked once more. */
const REMOVE_WORDS = { ask: "Remove", confirm: "Confirm remove", busy: "Removing…", keep: "Keep" };

const HINTS = {
  asset: "Choose an asset.",
  address: "This is not a valid address for the chosen asset.",
  label: "Enter a label of 1 to 64 characters.",
};

const PLACEHOLDERS: Record<string, string> = {
  BTC: "bc1q… or 1… / 3…",
  ETH: "0x followed by 40 hex digits",
  USDT: "0x followed by 40 hex digits",
  SOL: "Base58 public key",
  USD: "IBAN, e.g. NO93 8601 1117 947",
};

/** GET/POST/DELETE /api/wallet/addresses: withdrawals go only to these, each after its cooldown. */
export default function AddressBookPanel(props: {
  config: PublicConfig;
  addresses: BookAddress[] | undefined;
  loading: boolean;
  error: unknown;
  onRetry: () => void;
  onChanged: () => void;
}) {
  const [asset, setAsset] = createSignal(props.config.assets[0]?.symbol ?? "");
  const [busy, setBusy] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();
  const [confirming, setConfirming] = createSignal<string>();
  const [deleting, setDeleting] = createSignal<string>();
  let form: HTMLFormElement | undefined;

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy()) return;
    const target = event.currentTarget as HTMLFormElement;
    const body = { asset: asset(), address: formValue(target, "address"), label: formValue(target, "label") };
    const found: FieldErrors = {};
    if (!body.address) found.address = "Enter the address.";
    if (!body.label) found.label = "Give the address a name you will recognise.";
    setMessage(undefined);
    if (refuseProblems(form, found, setErrors)) return;
    setBusy(true);
    setErrors({});
    try {
      const { address } = await api.post<{ address: BookAddress }>("/api/wallet/addresses", body);
      // Not form.reset(): that would also put the asset back to the first one.
      for (const name of ["address", "label"]) {
        const input = target.elements.namedItem(name);
        if (input instanceof HTMLInputElement) input.value = "";
      }
      setMessage({
        tone: "success",
        text: isActive(address)
          ? `Saved “${address.label}”. You can withdraw to it now.`
          : `Saved “${address.label}”. For your security it is usable from ${formatDateTime(address.activeAt)}.`,
      });
      props.onChanged();
    } catch (error) {
      if (error instanceof ApiError && error.code === "VALIDATION_FAILED") {
        const fields = fieldErrors(error, HINTS);
        setErrors(fields);
        if (Object.keys(fields).length === 0) setMessage({ tone: "error", text: error.message });
      } else if (error instanceof ApiError && error.code === "ADDRESS_NOT_ALLOWED") {
        // Sanctioned, or a zero address: about what was typed in Address, so said there.
        setErrors({ address: error.message });
      } else {
        setMessage({ tone: "error", text: actionMessage(error) });
      }
      focusFirstInvalid(form);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (entry: BookAddress) => {
    setDeleting(entry.id);
    setMessage(undefined);
    try {
      await api.delete(`/api/wallet/addresses/${encodeURIComponent(entry.id)}`);
      setMessage({ tone: "success", text: `Removed “${entry.label}”.` });
      setConfirming(undefined);
      props.onChanged();
    } catch (error) {
      setMessage({ tone: "error", text: actionMessage(error) });
    } finally {
      setDeleting(undefined);
    }
  };

  return (
    <section class="panel" aria-labelledby="address-book-title">
      <div class="panel-head">
        <div>
          <h2 id="address-book-title" tabindex="-1">
            Address book
          </h2>
          <p class="muted small">
            Withdrawals go only to saved addresses. A new address becomes usable after a security cooldown, so a thief who gets
            into your account cannot drain it at once.
          </p>
        </div>
      </div>
      <form ref={form} class="form address-form" onSubmit={submit} novalidate>
        <SelectField label="Asset" name="asset" error={errors().asset} onChange={(event) => setAsset(event.currentTarget.value)}>
          <For each={props.config.assets}>
            {(item) => (
              <option value={item.symbol} selected={item.symbol === asset()}>
                {item.symbol}
              </option>
            )}
          </For>
        </SelectField>
        <Field
          label="Address"
          name="address"
          type="text"
          autocomplete="off"
          spellcheck={false}
          autocapitalize="off"
          required
          maxLength={128}
          placeholder={PLACEHOLDERS[asset()] ?? ""}
          hint={networkOf(asset()) ? <NetworkNote asset={asset()} /> : undefined}
          error={errors().address}
        />
        <Field
          label="Label"
          name="label"
          type="text"
          autocomplete="off"
          required
          maxLength={64}
          placeholder="My hardware wallet"
          error={errors().label}
        />
        <div class="address-form-action">
          <SubmitButton busy={busy()} busyLabel="Saving…">
            Save address
          </SubmitButton>
        </div>
      </form>
      <ActionResult result={message()} />
      <div class="section-gap">
        <DataTable
          errorTitle="Could not load your address book"
          error={props.error}
          onRetry={props.onRetry}
          loadingLabel="Loading addresses…"
          items={props.addresses}
          empty="No saved addresses yet."
          label="Address book table (scrollable)"
          labelledBy="address-book-title"
          busy={props.loading}
          columns={[
            { label: "Label" },
            { label: "Asset" },
            { label: "Address" },
            { label: "Usable" },
            { label: "Actions", srOnly: true },
          ]}
          row={(entry) => (
            <tr>
              <th scope="row">{entry.label}</th>
              <td>
                <span class="symbol">{entry.asset}</span>
              </td>
              <td>
                <code>{entry.address}</code>
              </td>
              <td>
                <Show
                  when={!isActive(entry)}
                  fallback={
                    <span class="badge badge-ok">
                      <span class="dot" aria-hidden="true" />
                      Active
                    </span>
                  }
                >
                  <span class="badge badge-warn">
                    <span class="dot" aria-hidden="true" />
                    Usable from <time datetime={entry.activeAt}>{formatDateTime(entry.activeAt)}</time>
                  </span>
                </Show>
              </td>
              <td class="num">
                <AskAgainButtons
                  words={REMOVE_WORDS}
                  askName={`${entry.label} (${entry.asset} ${entry.address})`}
                  what={entry.label}
                  asking={confirming() === entry.id}
                  busy={deleting() === entry.id}
                  disabled={deleting() !== undefined}
                  onAsk={() => setConfirming(entry.id)}
                  onKeep={() => setConfirming(undefined)}
                  onConfirm={() => remove(entry)}
                />
              </td>
            </tr>
          )}
        />
      </div>
    </section>
  );
}
