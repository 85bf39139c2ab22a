// Tìm kiếm: units and cadres by name, with or without diacritics (one request).

import { gql } from "../gql.js";
import { el, href, levelOf, named, show, t } from "../ui.js";

// a code or id typed whole is found too, first: it is asked beside the names
export const SEARCH = `query Search($text: String!, $key: ID!) {
  exactUnit: unit(code: $key) { __typename code name level parent { name } }
  exactCadre: cadre(id: $key) { __typename id name level titles homeUnit { name } }
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
  const data = await gql(SEARCH, { text, key: text.slice(0, 64) });
  if (ctx.stale()) return;
  const exact = [data.exactUnit, data.exactCadre].filter(Boolean);
  const same = (a, b) => a.__typename === b.__typename && (a.code ?? a.id) === (b.code ?? b.id);
  const hits = [...exact, ...data.search.filter((h) => !exact.some((e) => same(e, h)))];
  results.replaceChildren(
    hits.length
      ? el("ul", { class: "hits" }, hits.map((hit) =>
          hit.__typename === "Unit"
            ? el("li", {},
                el("a", { href: href("unit", hit.code) }, hit.name),
                ` · ${levelOf(hit.level)} · ${hit.code}`,
                hit.parent ? ` · ${hit.parent.name}` : "")
            : el("li", {},
                el("a", { href: href("cadre", hit.id) }, hit.name),
                ` · ${t("cadre")} ${levelOf(hit.level)}`,
                hit.titles.length ? ` · ${hit.titles.map((x) => named("titles", x)).join(", ")}` : "",
                hit.homeUnit ? ` · ${hit.homeUnit.name}` : "")))
      : el("p", {}, t("noHits", { text })),
  );
}
