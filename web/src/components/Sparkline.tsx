import { Show } from "solid-js";

/** The line's colour for each way the change shown beside it goes: the same as that change's text. */
const STROKES = { up: "var(--ok)", down: "var(--warn)", flat: "var(--text-muted)" };

/**
 * A tiny line of recent prices, as wide as the space it is given (a price tile's). Drawing is the one place prices
 * become floats: the amounts themselves stay strings everywhere else in the client. Its colour is the `trend` of the
 * change shown with it: the line's own first and last points cover a few minutes, and coloured by those, a line
 * rising since the page opened would be green beside a 24h fall.
 */
export default function Sparkline(props: { points: string[]; label: string; trend: keyof typeof STROKES }) {
  // The drawing's own units: stretched to the width shown (preserveAspectRatio="none"), the height kept.
  const width = 120;
  const height = 28;
  const path = () => {
    const values = props.points.map(Number);
    const min = Math.min(...values);
    const span = Math.max(...values) - min || 1;
    return values
      .map(
        (value, i) =>
          `${((i / (values.length - 1)) * width).toFixed(1)},${(height - ((value - min) / span) * height).toFixed(1)}`,
      )
      .join(" ");
  };
  return (
    <Show when={props.points.length > 1} fallback={<span class="sparkline-empty" aria-hidden="true" />}>
      <svg
        class="sparkline"
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        height={height}
        role="img"
        aria-label={props.label}
      >
        {/* The stroke keeps its width however far the line is stretched. */}
        <polyline
          points={path()}
          fill="none"
          stroke={STROKES[props.trend]}
          stroke-width="1.5"
          vector-effect="non-scaling-stroke"
        />
      </svg>
    </Show>
  );
}
