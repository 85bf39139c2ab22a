// Tổng quan: coverage of the unit per level and end to end, assigned and active (its supporters
// also present in the policy's period) side by side, the ten worst-covered units one level down
// (one request), then the last 24 months of coverage (one request, 24 aliases).

import { exportButton } from "../download.js";
import { ApiError, gql } from "../gql.js";
import {
  activityOn, band, bar, day, el, href, levelOf, named, num, pct, sentence, show, svg, t, table,
  unitLink,
} from "../ui.js";

const COVERAGE = `households householdsReached ratio`;

export const OVERVIEW = `query Overview($unit: ID!, $asOf: Date!, $active: Boolean! = true) @asOf(date: $asOf) {
  unit(code: $unit) {
    code name level validFrom validTo
    successors { code on resolution unit { code name } }
    coverage { ${COVERAGE} levels { level units covered ratio } }
    childrenConnection(first: 500) {
      totalCount
      nodes { code name level coverage { ${COVERAGE} } }
    }
  }
  activeCoverage(unit: $unit, asOf: $asOf) @include(if: $active) {
    ${COVERAGE} levels { level units covered ratio }
  }
}`;

/** What active coverage counts on a date, as the policy in force says it: its period, and
 * whether its figures are only illustrative. */
export function activeNote(asOf) {
  const policy = activityOn(asOf);
  if (!policy) return "";
  const note = sentence(t("actNote", { months: num(policy.months), date: day(asOf) }));
  return policy.illustrative ? `${note}; ${t("actIllustrative")}` : note;
}

/** The overview's question; null when there is no such unit (in the caller's scope). Active
 * coverage is asked only of a unit in force on the date: a unit that has ended (or not begun)
 * is asked again without it, and shows what it became. */
async function ask(code, asOf) {
  try {
    return await gql(OVERVIEW, { unit: code, asOf, active: true });
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "NOT_FOUND") throw error;
    if (!error.extensions.ended && !error.extensions.starts) return null;
    return gql(OVERVIEW, { unit: code, asOf, active: false });
  }
}

/** The first day of each of the 24 months up to the date, oldest first, and the date itself. */
export function months(asOf) {
  const [y, m, d] = asOf.split("-").map(Number);
  const out = [];
  for (let back = 23; back >= 1; back -= 1) {
    const when = new Date(Date.UTC(y, m - 1 - back, 1));
    out.push(when.toISOString().slice(0, 10));
  }
  out.push(`${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
  return out;
}

export function trendQuery(dates) {
  const vars = dates.map((_, i) => `$d${i}: Date!`).join(", ");
  const fields = dates
    .map((_, i) => `m${i}: coverage(unit: $unit, asOf: $d${i}) { asOf ${COVERAGE} }`)
    .join("\n  ");
  return `query Trend($unit: ID!, ${vars}) {\n  ${fields}\n}`;
}

/** Where a unit stands on the date: ended (with its successors) or not yet begun. */
export function lifeNote(unit, asOf) {
  if (unit.validTo && unit.validTo <= asOf) {
    const after = unit.successors ?? [];
    const [before, later] = t("successors", { names: "\u0000" }).split("\u0000");
    return el(
      "p",
      { class: "note ended" },
      t("ended", { date: day(unit.validTo) }),
      after.length
        ? [" ", before, after.map((s, i) => [i ? ", " : "", el("a", { href: href("overview", "", { unit: s.code }) }, s.unit ? `${s.unit.name} (${s.code})` : s.code)]), later]
        : "",
    );
  }
  return null;
}

export async function view(ctx) {
  const { main, unit: code, asOf } = ctx;
  if (!code) {
    show(main, el("h2", {}, named("views", "overview")), el("p", {}, t("noUnit")));
    return;
  }
  const data = await ask(code, asOf);
  if (ctx.stale()) return;
  const unit = data?.unit;
  if (!unit) {
    show(main, el("h2", {}, named("views", "overview")), el("p", {}, t("notFound", { code })));
    return;
  }
  const cov = unit.coverage;
  // active coverage has the shape of coverage: its columns beside the assigned ones
  const active = data.activeCoverage ?? null;
  const activeLevels = new Map((active?.levels ?? []).map((l) => [l.level, l]));
  const activeCells = (covered, ratio, label) =>
    active ? [num(covered), bar(ratio, `${t("actCoverage")}: ${label}`)] : [];
  const levelRows = cov.levels.map((l) => {
    const name = named("levels", l.level);
    const found = activeLevels.get(l.level);
    return [
      name,
      num(l.units),
      num(l.covered),
      bar(l.ratio, name),
      ...activeCells(found?.covered, found?.ratio, name),
    ];
  });
  levelRows.push([
    el("strong", {}, t("endToEnd")),
    num(cov.households),
    num(cov.householdsReached),
    bar(cov.ratio, t("endToEnd")),
    ...activeCells(active?.householdsReached, active?.ratio, t("endToEnd")),
  ]);
  const levelHeaders = [t("level"), t("units"), t("covered"), t("coverage")];
  if (active) levelHeaders.push(t("actCovered"), t("actCoverage"));
  const note = active ? activeNote(asOf) : "";
  const children = unit.childrenConnection.nodes;
  const worst = [...children]
    .filter((c) => c.coverage.households > 0 || c.coverage.ratio !== null)
    .sort((a, b) => (a.coverage.ratio ?? 2) - (b.coverage.ratio ?? 2) || a.code.localeCompare(b.code))
    .slice(0, 10);
  const trend = el(
    "figure",
    { class: "trend", id: "trend", "aria-busy": "true" },
    el("p", { class: "placeholder" }, t("trendWaiting")),
  );
  show(
    main,
    el("h2", {}, `${named("views", "overview")}: ${unit.name}`),
    el("p", { class: "meta" }, `${levelOf(unit.level)} · ${unit.code} · ${t("asOf")} ${day(asOf)}`),
    lifeNote(unit, asOf),
    el("div", { class: "buttons" },
      exportButton(ctx, "coverage", "xlsx", { unit: code, asOf }, t("coverageXlsx")),
      exportButton(ctx, "coverage", "csv", { unit: code, asOf }, t("coverageCsv")),
      exportButton(ctx, "workload", "xlsx", { unit: code, asOf }, t("workloadXlsx")),
    ),
    el("section", { "aria-labelledby": "cov-h" },
      el("h3", { id: "cov-h" }, t("coverageHeading")),
      el("div", { class: "big" },
        el("span", { class: `big-number ${band(cov.ratio)}` }, pct(cov.ratio)),
        el("span", {}, ` ${t("endToEnd")}: ${num(cov.householdsReached)} / ${num(cov.households)}`),
      ),
      el("div", { class: "table-wrap" },
        table(null, levelHeaders, levelRows, {
          class: active ? "levels with-active" : "levels",
          "aria-describedby": note ? "active-note" : null,
        })),
      note ? el("p", { class: "note", id: "active-note" }, note) : null,
    ),
    el("section", { "aria-labelledby": "trend-h" }, el("h3", { id: "trend-h" }, t("trendHeading")), trend),
    el("section", { "aria-labelledby": "worst-h" },
      el("h3", { id: "worst-h" }, t("worstHeading")),
      worst.length
        ? table(
            null,
            [t("name"), t("households"), t("householdsReached"), t("coverage")],
            worst.map((c) => [
              unitLink(c),
              num(c.coverage.households),
              num(c.coverage.householdsReached),
              bar(c.coverage.ratio, c.name),
            ]),
            { class: "worst" },
          )
        : el("p", {}, t("noChildren")),
    ),
  );
  performance.mark("namgraph:overview-shown");
  main.dataset.shown = "overview";
  // the trend comes after: the numbers above are already on the page
  drawTrend(ctx, unit, asOf, trend);
}

async function drawTrend(ctx, unit, asOf, figure) {
  // only the months the unit existed: a unit begun a year ago has twelve points
  const dates = months(asOf).filter(
    (d) => (!unit.validFrom || d >= unit.validFrom) && (!unit.validTo || d < unit.validTo),
  );
  if (!dates.length) {
    figure.replaceChildren(el("p", { class: "placeholder" }, t("trendNone")));
    figure.setAttribute("aria-busy", "false");
    return;
  }
  const vars = { unit: unit.code };
  dates.forEach((d, i) => (vars[`d${i}`] = d));
  let data;
  try {
    data = await gql(trendQuery(dates), vars);
  } catch (error) {
    figure.replaceChildren(el("p", { class: "placeholder" }, error.message));
    figure.setAttribute("aria-busy", "false");
    return;
  }
  if (ctx.stale()) return;
  const points = dates.map((d, i) => ({ date: d, ratio: data[`m${i}`].ratio, ...data[`m${i}`] }));
  figure.replaceChildren(chart(points), caption(points));
  figure.setAttribute("aria-busy", "false");
  performance.mark("namgraph:trend-shown");
}

function caption(points) {
  return el(
    "figcaption",
    {},
    t("trendCaption", { from: day(points[0].date), to: day(points.at(-1).date) }),
    el(
      "details",
      {},
      el("summary", {}, t("trendTable")),
      table(
        null,
        [t("asOf"), t("households"), t("householdsReached"), t("coverage")],
        points.map((p) => [day(p.date), num(p.households), num(p.householdsReached), pct(p.ratio)]),
      ),
    ),
  );
}

/** A line chart of the ratios, 0–100%, as SVG (no library). */
export function chart(points) {
  const W = 720;
  const H = 220;
  const left = 44;
  const bottom = 28;
  const x = (i) => left + (i * (W - left - 12)) / Math.max(points.length - 1, 1);
  const y = (r) => 10 + (1 - r) * (H - bottom - 10);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((r) =>
    svg("g", {},
      svg("line", { x1: left, x2: W - 12, y1: y(r), y2: y(r), class: "grid" }),
      svg("text", { x: left - 6, y: y(r) + 4, "text-anchor": "end" }, pct(r)),
    ),
  );
  const known = points.map((p, i) => [i, p.ratio]).filter(([, r]) => r !== null);
  const path = known.map(([i, r], k) => `${k ? "L" : "M"}${x(i).toFixed(1)},${y(r).toFixed(1)}`).join(" ");
  const ticks = points
    .map((p, i) => [p, i])
    .filter(([, i]) => i % 3 === 0 || i === points.length - 1)
    .map(([p, i]) => svg("text", { x: x(i), y: H - 8, "text-anchor": i === points.length - 1 ? "end" : "middle" }, p.date.slice(5, 7) + "/" + p.date.slice(2, 4)));
  const dots = known.map(([i, r]) =>
    svg("circle", { cx: x(i), cy: y(r), r: 3, class: "dot" }, svg("title", {}, `${day(points[i].date)}: ${pct(r)}`)),
  );
  return svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": t("trendHeading") },
    grid,
    svg("path", { d: path, class: "line" }),
    dots,
    ticks,
  );
}
