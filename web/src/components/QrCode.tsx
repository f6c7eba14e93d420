import { createResource, Show } from "solid-js";

/**
 * A QR code of `text`, made in the browser. The generator (the `qrcode` package, also used by the server
 * for 2FA) is loaded only when a code is first shown, and its SVG is shown as a data: URL image, which the
 * CSP allows (`img-src 'self' data:`) and which cannot run anything. The box keeps its size while loading.
 */
async function qrDataUrl(text: string): Promise<string> {
  // A CommonJS package: its exports may arrive as the namespace or as its default export.
  const loaded: { default?: typeof import("qrcode") } & Partial<typeof import("qrcode")> = await import("qrcode");
  const qrcode = loaded.default ?? (loaded as typeof import("qrcode"));
  const svg = await qrcode.toString(text, {
    type: "svg",
    margin: 1,
    errorCorrectionLevel: "M",
    color: { dark: "#000000", light: "#ffffff" },
  });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export default function QrCode(props: { text: string; label: string; size?: number }) {
  const [src] = createResource(() => props.text, qrDataUrl);
  const size = () => props.size ?? 184;
  return (
    <div class="qr qr-fixed" style={{ width: `${size() + 20}px`, height: `${size() + 20}px` }}>
      <Show
        when={src.state === "ready" ? src.latest : undefined}
        fallback={
          <span class="qr-placeholder small" role="status">
            {src.state === "errored" ? "QR code unavailable: copy the text instead." : "Drawing QR code…"}
          </span>
        }
      >
        {(url) => <img src={url()} alt={props.label} width={size()} height={size()} />}
      </Show>
    </div>
  );
}
