// Tìm kiếm: units and cadres by name, with or without diacritics (one request).

import { gql } from "../gql.js";
import { el, href, named, show, t } from "../ui.js";

export const SEARCH = `query Search($text: String!) {
  search(text: $text, first: 30) {
    __typename
    ... on Unit { code name level parent { name } }
    ... on Cadre { id name level titles homeUnit { name } }
  }
}`;

export async function view(ctx) {
  const { main, params } = ctx;
  const text = (params.get("q") ?? "").trim();
  const field = el("input", { id: "q", name: "q", type: "search", value: text, autocomplete: "off", spellcheck: "false" });
  const form = el("form", { class: "filters", role: "search" },
    el("div", { class: "field" }, el("label", { for: "q" }, t("searchLabel")), field),
    el("button", { type: "submit" }, t("searchButton")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = href("search", "", { q: field.value.trim(), unit: ctx.unit });
  });
  const results = el("div", { id: "hits" });
  show(main, el("h2", {}, named("views", "search")), form, results);
  if (!text) {
    field.focus();
    return;
  }
  const data = await gql(SEARCH, { text });
  if (ctx.stale()) return;
  const hits = data.search;
  results.replaceChildren(
    hits.length
      ? el("ul", { class: "hits" }, hits.map((hit) =>
          hit.__typename === "Unit"
            ? el("li", {},
                el("a", { href: href("unit", hit.code) }, hit.name),
                ` · ${named("levels", hit.level)} · ${hit.code}`,
                hit.parent ? ` · ${hit.parent.name}` : "")
            : el("li", {},
                el("a", { href: href("cadre", hit.id) }, hit.name),
                ` · ${t("cadre")} ${named("levels", hit.level)}`,
                hit.titles.length ? ` · ${hit.titles.map((x) => named("titles", x)).join(", ")}` : "",
                hit.homeUnit ? ` · ${hit.homeUnit.name}` : "")))
      : el("p", {}, t("noHits", { text })),
  );
}
