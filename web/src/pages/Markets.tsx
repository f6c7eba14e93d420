import PriceTiles from "../components/PriceTiles";
import { usePageTitle } from "../lib/title";

export default function Markets() {
  usePageTitle(() => "Markets");
  return (
    <>
      <h1>Markets</h1>
      <p class="muted">Live prices in US dollars. Choose an asset for its chart.</p>
      <PriceTiles />
    </>
  );
}
