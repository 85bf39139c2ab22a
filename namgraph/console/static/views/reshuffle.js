// The reshuffle view (to be built).
import { el, named, show } from "../ui.js";

export async function view(ctx) {
  show(ctx.main, el("h2", {}, named("views", "reshuffle")));
}
