// Chỗ hở: the units at a level with no unbroken chain, filtered by reason and by the unit one
// level down they lie in, each with who could take it over; a page at a time (one request),
// and the same list as an Excel or CSV file (the token-gated /reports download).

import { exportButton } from "../download.js";
import { gql } from "../gql.js";
import { day, el, href, named, num, show, t, unitLink, words } from "../ui.js";

const PAGE = 50;

export const GAPS = `query Gaps($unit: ID!, $asOf: Date!, $level: String, $reason: [GapReason!],
  $under: ID, $first: Int, $after: String) @asOf(date: $asOf) {
  unit(code: $unit) {
    code name level validTo
    childrenConnection(first: 500) { nodes { code name } }
  }
  levels { id counted }
  gaps(unit: $unit, level: $level, reason: $reason, under: $under, first: $first, after: $after) {
    level totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      unit { code name level parent { code name } }
      reason brokenAt
      candidates { cadre { id name titles } units households maxUnits }
    } }
  }
}`;

/** The levels below a unit's at which coverage is counted, top down, from `levels`. */
export function levelsBelow(levels, level) {
  const at = levels.findIndex((l) => l.id === level);
  return levels.slice(at + 1).filter((l) => l.counted).map((l) => l.id);
}

export async function view(ctx) {
  const { main, unit: code, asOf, params } = ctx;
  if (!code) {
    show(main, el("h2", {}, named("views", "gaps")), el("p", {}, t("noUnit")));
    return;
  }
  // a reason the console does not know is no filter (and the address says which was dropped)
  const asked = params.get("reason") || "";
  const reason = asked in (words.reasons ?? {}) ? asked : "";
  if (asked && !reason) ctx.say(t("badReason", { reason: asked }), true);
  const under = params.get("under") || "";
  // without a level, the server answers for the first counted level below the unit
  const vars = { unit: code, asOf, level: params.get("level") || null, first: PAGE, reason: reason ? [reason] : null, under: under || null };
  const data = await gql(GAPS, vars);
  if (ctx.stale()) return;
  if (!data.unit) {
    show(main, el("h2", {}, named("views", "gaps")), el("p", {}, t("notFound", { code })));
    return;
  }
  const unit = data.unit;
  const level = data.gaps.level;
  const list = el("tbody");
  const total = data.gaps.totalCount;
  const more = el("button", { type: "button", class: "secondary" }, t("more"));
  let page = data.gaps;
  const addPage = (found) => {
    for (const edge of found.edges) list.append(gapItem(edge.node));
    more.hidden = !found.pageInfo.hasNextPage;
  };
  addPage(page);
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      page = (await gql(GAPS, { ...vars, level, after: page.pageInfo.endCursor })).gaps;
      addPage(page);
    } catch (error) {
      ctx.say(error.message, true);
    } finally {
      more.disabled = false;
    }
  });

  const filters = filterForm(ctx, unit, levelsBelow(data.levels, unit.level), level, reason, under);
  show(
    main,
    el("h2", {}, `${named("views", "gaps")}: ${unit.name}`),
    el("p", { class: "meta" }, `${t("gapsHeading", { level: named("levels", level) })} · ${t("asOf")} ${day(asOf)}`),
    filters,
    el("div", { class: "buttons" },
      exportButton(ctx, "gaps", "xlsx", () => chosen(filters, code, asOf)),
      exportButton(ctx, "gaps", "csv", () => chosen(filters, code, asOf)),
    ),
    el("p", { class: "count", id: "gap-count" }, total ? t("gapsCount", { count: num(total) }) : t("noGaps")),
    total
      ? el("div", { class: "table-wrap" }, el("table", { class: "gaps" },
          el("thead", {}, el("tr", {}, [t("unit"), t("parent"), t("reason"), t("candidates")].map((h) => el("th", { scope: "col" }, h)))),
          list))
      : null,
    more,
  );
}

/** What the file is to hold: the filters as they are on the screen now. */
function chosen(form, code, asOf) {
  const value = (name) => form.elements.namedItem(name).value;
  return { unit: value("under") || code, asOf, level: value("level"), reason: value("reason") };
}

function filterForm(ctx, unit, levels, level, reason, under) {
  const levelSelect = el("select", { id: "gap-level", name: "level" },
    levels.map((id) => el("option", { value: id, selected: id === level }, named("levels", id))));
  const reasonSelect = el("select", { id: "gap-reason", name: "reason" },
    el("option", { value: "" }, t("allReasons")),
    Object.entries(words.reasons ?? {}).map(([id, text]) => el("option", { value: id, selected: id === reason }, text)));
  const underSelect = el("select", { id: "gap-under", name: "under" },
    el("option", { value: "" }, t("everywhere")),
    unit.childrenConnection.nodes.map((c) => el("option", { value: c.code, selected: c.code === under }, `${c.name} (${c.code})`)));
  const form = el("form", { class: "filters", id: "gap-filters" },
    el("div", { class: "field" }, el("label", { for: "gap-level" }, t("level")), levelSelect),
    el("div", { class: "field" }, el("label", { for: "gap-reason" }, t("reason")), reasonSelect),
    el("div", { class: "field" }, el("label", { for: "gap-under" }, t("under")), underSelect),
    el("button", { type: "submit" }, t("show")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = href("gaps", "", {
      unit: unit.code,
      asOf: ctx.asOf,
      level: levelSelect.value,
      reason: reasonSelect.value,
      under: underSelect.value,
    });
  });
  return form;
}

function gapItem(gap) {
  // a unit that has its supporter but hangs below a broken link needs no one new
  const own = gap.reason !== "CHAIN_BROKEN_ABOVE";
  const candidates = !own
    ? el("span", { class: "people" }, "–")
    : gap.candidates.length
    ? el("ul", { class: "candidates" }, gap.candidates.map((c) =>
        el("li", {},
          el("a", { href: href("cadre", c.cadre.id) }, c.cadre.name),
          c.cadre.titles.length ? ` (${c.cadre.titles.map((x) => named("titles", x)).join(", ")})` : "",
          el("span", { class: "people" }, ` · ${t("load", { units: num(c.units), households: num(c.households) })}`))))
    : el("span", { class: "people" }, t("noCandidates"));
  return el("tr", { class: "gap" },
    el("th", { scope: "row" }, unitLink(gap.unit)),
    el("td", {}, gap.unit.parent ? gap.unit.parent.name : "–"),
    el("td", {}, named("reasons", gap.reason), gap.brokenAt ? el("div", { class: "people" }, el("a", { href: href("unit", gap.brokenAt) }, t("brokenAt", { code: gap.brokenAt }))) : ""),
    el("td", {}, candidates),
  );
}

