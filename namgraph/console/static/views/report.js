// Báo cáo: a unit's report on a date, for the printer (A4), laid out as a Party board writes
// one (Hướng dẫn 36-HD/VPTW): the issuing body and "ĐẢNG CỘNG SẢN VIỆT NAM" on top, the place
// and date, the title; then the whole unit (coverage per level, its units one level down, the
// gaps among them and who supports them), and one part per unit one level down, each on a page
// of its own (print.css), with its coverage, its gaps and the cadres responsible for it and for
// the units below it.
//
// Two requests: the unit with its units one level down (reportQuery); then, knowing the levels
// below and how many units each of those has, the gaps at every level of the whole unit, grouped
// here per unit one level down by their ancestors, and the supporters of the units two levels
// down (detailQuery).

import { ApiError, gql } from "../gql.js";
import { day, el, href, named, num, pct, show, t } from "../ui.js";

/** The most one `first:` may ask for (the server's NAM_MAX_PAGE, 500 by default). */
const PAGE = 500;
/** The reasons a unit has no supporter of its own. A gap whose chain is broken above (every
 * hamlet and group under an uncovered commune) is counted, not listed. */
const OWN = [
  "NO_SUPPORTER",
  "SUPPORTER_ENDED",
  "SUPPORTER_RETIRED",
  "SUPPORTER_TRANSFERRED",
  "SUPPORTER_LEAVING",
  "SUPPORTER_ABSENT",
];
/** What the supporters two levels down may cost in the server's estimate of field reads
 * (namgraph/api/limits.py; its limit is 250,000 unless NAM_MAX_COST says otherwise, and the gaps
 * take up to some 40,000 of it). Above it they are left out, and the report says so. */
const BUDGET = 180000;

const COVERAGE = `households householdsReached ratio levels { level units covered ratio }`;
/** A supporter's fields: the phone only for a reader who sees contacts. */
const supporter = (phone) => `role cadre { id name titles${phone ? " phone" : ""} }`;

export function reportQuery(phone) {
  return `query Report($unit: ID!, $asOf: Date!) @asOf(date: $asOf) {
  unit(code: $unit) {
    code name level kind validTo
    successors { code unit { code name } }
    coverage { ${COVERAGE} }
    supporters { ${supporter(phone)} }
    childrenConnection(first: ${PAGE}) {
      totalCount
      nodes {
        code name level kind
        coverage { ${COVERAGE} }
        supporters { ${supporter(phone)} }
        childrenConnection(first: 0) { totalCount }
      }
    }
  }
}`;
}

/** The gaps at each level below (own reasons listed, all of them counted), and, when `grand`
 * ({n, m}: n units one level down, the most units below one of them), the supporters of the
 * units two levels down. */
export function detailQuery(levels, grand, phone) {
  const vars = levels.map((_, i) => `, $l${i}: String!`).join("");
  const own = OWN.join(", ");
  const gaps = levels.map(
    (_, i) => `g${i}: gaps(unit: $unit, level: $l${i}, first: ${PAGE}, reason: [${own}]) {
    totalCount nodes { reason unit { code name level ancestors { code } } }
  }
  a${i}: gaps(unit: $unit, level: $l${i}, first: 0) { totalCount }`,
  );
  const below = grand
    ? `unit(code: $unit) {
    childrenConnection(first: ${grand.n}) { nodes { code
      childrenConnection(first: ${grand.m}) {
        nodes { code name level supporters { ${supporter(phone)} } }
      }
    } }
  }`
    : "";
  return `query ReportDetail($unit: ID!, $asOf: Date!${vars}) @asOf(date: $asOf) {
  ${gaps.join("\n  ")}
  ${below}
}`;
}

/** The server's estimate of the supporters two levels down (each field 1, a list its items
 * times what is below it, `supporters` as 4 items). */
export function grandCost(n, m, phone) {
  const perSupporter = 2 + 3 + (phone ? 1 : 0); // role, cadre { id name titles phone }
  const perUnit = 3 + 1 + 4 * perSupporter; // code name level, supporters
  return 3 + n * (4 + m * perUnit);
}

// --- names and dates as Party documents write them -------------------------------------------

/** The kinds an official name starts with (loaders/admin.py reads the same ones). */
const KINDS = [
  "thành phố", "thị trấn", "thị xã", "tỉnh", "huyện", "quận", "phường", "xã", "đặc khu",
];

function kindOf(name) {
  const lowered = name.toLocaleLowerCase("vi");
  return KINDS.find((kind) => lowered.startsWith(`${kind} `)) ?? "";
}

/** A name without the kind it starts with: "Tỉnh Bến Tre" -> "Bến Tre". */
export function bare(name) {
  const kind = kindOf(name);
  return (kind ? name.slice(kind.length + 1) : name).trim();
}

/** The Party committee that issues the report of a unit: a province's Tỉnh ủy (Thành ủy for a
 * city run by the centre), a district's by its kind (huyện: Huyện ủy, quận: Quận ủy, thị xã:
 * Thị ủy, thành phố: Thành ủy), named without the kind; anything else (a commune, say) the Đảng
 * ủy of its full name. The kind is the unit's own, else the one its name starts with. By the
 * unit's level, not its ancestors: a token scoped to a district sees none above it. */
export function issuer(unit) {
  const kind = (unit.kind || kindOf(unit.name)).toLocaleLowerCase("vi");
  const name = bare(unit.name);
  if (unit.level === "province") {
    return t(kind === "thành phố" ? "rpCommitteeCity" : "rpCommitteeProvince", { name });
  }
  const byKind = {
    huyện: "rpCommitteeDistrict",
    quận: "rpCommitteeUrban",
    "thị xã": "rpCommitteeTown",
    "thành phố": "rpCommitteeCity",
  };
  if (unit.level === "district" && byKind[kind]) return t(byKind[kind], { name });
  return t("rpCommitteeOther", { name: unit.name });
}

const upper = (text) => text.toLocaleUpperCase("vi");

/** Day, month and year, a day below 10 and the months 1 and 2 with a leading zero (Hướng dẫn
 * 36-HD/VPTW). */
function dateParts(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return { day: d < 10 ? `0${d}` : String(d), month: m < 3 ? `0${m}` : String(m), year: String(y) };
}

function shortDate(iso) {
  const p = dateParts(iso);
  return `${p.day}/${p.month}/${p.year}`;
}

// --- the view --------------------------------------------------------------------------------

export async function view(ctx) {
  const { main, unit: code, asOf } = ctx;
  const heading = named("views", "report");
  if (!code) {
    show(main, el("h2", {}, heading), el("p", {}, t("noUnit")));
    return;
  }
  show(main, el("h2", {}, heading), el("p", { class: "waiting" }, t("rpWaiting")));
  const phone = Boolean(ctx.viewer?.seesContacts);
  const unit = (await gql(reportQuery(phone), { unit: code, asOf })).unit;
  if (ctx.stale()) return;
  if (!unit) {
    show(main, el("h2", {}, heading), el("p", {}, t("notFound", { code })));
    return;
  }
  const levels = unit.coverage.levels.map((l) => l.level);
  // the gaps of the levels that have units on the date: none for a unit that has ended (the
  // server refuses to list them, naming its successors) or has nothing below it
  const peopled = unit.coverage.levels.filter((l) => l.units > 0).map((l) => l.level);
  const found = peopled.length ? await details(unit, peopled, asOf, phone) : null;
  if (ctx.stale()) return;
  const children = unit.childrenConnection.nodes;
  const byChild = found ? gapsByChild(children, found.levels) : new Map();
  const report = { unit, asOf, phone, levels, found, byChild };
  show(
    main,
    el(
      "div",
      { class: "rp-toolbar" },
      el("h2", {}, t("rpHeading", { name: unit.name })),
      el(
        "button",
        { type: "button", class: "rp-print", onclick: () => window.print() },
        t("rpPrint"),
      ),
      el("p", { class: "meta" }, t("rpPrintHint")),
    ),
    el(
      "div",
      { class: "rp-report", lang: document.documentElement.lang },
      whole(report),
      children.map((child, i) => part(report, child, i)),
    ),
  );
  main.dataset.shown = "report";
}

/** The second request: the gaps at every level below, and the supporters two levels down
 * when the server's cost limit allows them. */
async function details(unit, levels, asOf, phone) {
  const children = unit.childrenConnection.nodes;
  const most = Math.min(PAGE, Math.max(0, ...children.map((c) => c.childrenConnection.totalCount)));
  let grand = children.length && most ? { n: children.length, m: most } : null;
  let leftOut = false;
  if (grand && grandCost(grand.n, grand.m, phone) > BUDGET) {
    grand = null;
    leftOut = true;
  }
  const vars = { unit: unit.code, asOf };
  levels.forEach((level, i) => (vars[`l${i}`] = level));
  let data;
  try {
    data = await gql(detailQuery(levels, grand, phone), vars);
  } catch (error) {
    // a server whose limit is below the default refuses them: the report goes on without
    if (!grand || !(error instanceof ApiError) || error.code !== "QUERY_TOO_COMPLEX") throw error;
    grand = null;
    leftOut = true;
    data = await gql(detailQuery(levels, null, phone), vars);
  }
  return {
    levels: levels.map((level, i) => ({
      level,
      own: data[`g${i}`].totalCount,
      all: data[`a${i}`].totalCount,
      nodes: data[`g${i}`].nodes,
    })),
    grand: grand
      ? new Map(data.unit.childrenConnection.nodes.map((c) => [c.code, c.childrenConnection.nodes]))
      : null,
    leftOut,
  };
}

/** The listed gaps of each unit one level down: the unit itself, or the one of its ancestors. */
function gapsByChild(children, levels) {
  const out = new Map(children.map((c) => [c.code, []]));
  for (const entry of levels) {
    for (const gap of entry.nodes) {
      const owner = out.has(gap.unit.code)
        ? gap.unit.code
        : gap.unit.ancestors.map((a) => a.code).find((code) => out.has(code));
      if (owner) out.get(owner).push(gap);
    }
  }
  return out;
}

// --- the pieces of a page ----------------------------------------------------------------------

/** A table whose header row repeats on every printed page it runs onto; `numeric` columns are
 * aligned right. */
function sheetTable(kind, headers, rows, numeric = []) {
  const cell = (tag, content, i) =>
    el(
      tag,
      { class: numeric.includes(i) ? "num" : null, scope: tag === "th" ? "col" : null },
      content,
    );
  return el(
    "table",
    { class: `rp-table rp-${kind}` },
    el("thead", {}, el("tr", {}, headers.map((h, i) => cell("th", h, i)))),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el("tr", { class: row.class ?? null }, row.cells.map((c, i) => cell("td", c, i))),
      ),
    ),
  );
}

const link = (unit) => el("a", { href: href("unit", unit.code) }, unit.name);

/** Coverage per level and end to end; with `counts` (the whole unit), the gaps the server
 * counted at each level: without a supporter, and with the chain broken above. */
function coverageTable(coverage, counts) {
  const headers = [t("level"), t("units"), t("covered"), t("coverage"), t("rpUncovered")];
  if (counts) headers.push(t("rpBrokenAbove"));
  const rows = coverage.levels.map((l) => {
    const cells = [named("levels", l.level), num(l.units), num(l.covered), pct(l.ratio)];
    const count = counts?.get(l.level);
    cells.push(num(count ? count.own : l.units - l.covered));
    if (counts) cells.push(num(count ? count.all - count.own : 0)); // no units, no gaps
    return { cells };
  });
  const total = [
    t("endToEnd"),
    num(coverage.households),
    num(coverage.householdsReached),
    pct(coverage.ratio),
    "",
  ];
  if (counts) total.push("");
  rows.push({ cells: total, class: "rp-total" });
  return sheetTable("coverage", headers, rows, [1, 2, 3, 4, 5]);
}

/** Who supports a unit and the units below it: name, titles, role (and phone). A unit without
 * a supporter is left out here: the gaps list it. */
function cadresTable(groups, phone) {
  const headers = [t("unit"), t("rpFullName"), t("rpTitles"), t("rpRole")];
  if (phone) headers.push(t("phone"));
  const rows = [];
  for (const { unit, supporters, strong } of groups) {
    const name = [
      strong ? el("strong", {}, unit.name) : link(unit),
      " ",
      el("span", { class: "code" }, unit.code),
    ];
    supporters.forEach((s, i) => {
      const cells = [
        i === 0 ? name : "",
        s.cadre ? el("a", { href: href("cadre", s.cadre.id) }, s.cadre.name) : "–",
        (s.cadre?.titles ?? []).map((title) => named("titles", title)).join("; "),
        named("roles", s.role),
      ];
      if (phone) cells.push(s.cadre?.phone ?? "");
      rows.push({ cells, class: i === 0 ? "rp-first" : null });
    });
  }
  if (!rows.length) return el("p", { class: "rp-none" }, t("noSupporter"));
  return sheetTable("cadres", headers, rows);
}

function gapTable(rows) {
  if (!rows.length) return el("p", { class: "rp-none" }, t("rpNoGaps"));
  return sheetTable(
    "gaps",
    [t("rpNumber"), t("level"), t("unit"), t("code"), t("rpReason")],
    rows.map((gap, i) => ({
      cells: [
        num(i + 1),
        named("levels", gap.unit.level),
        link(gap.unit),
        gap.unit.code,
        gap.reason ? named("reasons", gap.reason) : t("rpUnlisted"),
      ],
    })),
    [0],
  );
}

function letterhead(report) {
  const { unit, asOf } = report;
  const when = dateParts(asOf);
  return [
    el(
      "header",
      { class: "rp-head" },
      el(
        "div",
        { class: "rp-issuer" },
        el("p", { class: "rp-committee" }, upper(issuer(unit))),
        el("p", { class: "rp-board" }, upper(t("rpBoard"))),
        el("span", { class: "rp-rule rp-rule-short", "aria-hidden": "true" }),
      ),
      el(
        "div",
        { class: "rp-nation" },
        el("p", { class: "rp-party" }, upper(t("rpParty"))),
        el("span", { class: "rp-rule", "aria-hidden": "true" }),
      ),
    ),
    // the place is the issuing committee's: the province's name for a province's report, the
    // district's for a district's (Hướng dẫn 36-HD/VPTW), without the kind
    el("p", { class: "rp-place-date" }, t("rpPlaceDate", { place: bare(unit.name), ...when })),
    el(
      "h3",
      { class: "rp-title" },
      el("span", { class: "rp-title-main" }, upper(t("rpTitle"))),
      el("span", { class: "rp-subject" }, t("rpSubject", { name: unit.name })),
      el("span", { class: "rp-as-of" }, `(${t("rpAsOf", { date: shortDate(asOf) })})`),
    ),
  ];
}

/** A unit that has ended by the date, and what it went into. */
function endedNote(unit, asOf) {
  if (!unit.validTo || unit.validTo > asOf) return null;
  const names = (unit.successors ?? []).map((s) =>
    s.unit ? `${s.unit.name} (${s.code})` : s.code,
  );
  return el(
    "p",
    { class: "rp-note rp-ended" },
    t("ended", { date: day(unit.validTo) }),
    names.length ? ` ${t("successors", { names: names.join(", ") })}` : "",
  );
}

/** The first page: the whole unit. */
function whole(report) {
  const { unit, found, phone } = report;
  const connection = unit.childrenConnection;
  const children = connection.nodes;
  const counts = new Map((found?.levels ?? []).map((l) => [l.level, l]));
  const childLevel = children[0]?.level;
  const childGaps = found
    ? found.levels.filter((l) => l.level === childLevel).flatMap((l) => l.nodes)
    : [];
  const below = children.map((child, i) => ({
    cells: [
      num(i + 1),
      link(child),
      child.code,
      num(child.coverage.households),
      num(child.coverage.householdsReached),
      pct(child.coverage.ratio),
      num(child.coverage.levels.reduce((sum, l) => sum + l.units - l.covered, 0)),
    ],
  }));
  const section = (n, title, ...content) =>
    el("section", { class: "rp-block" }, el("h4", {}, `${n}. ${title}`), content);
  return el(
    "section",
    { class: "rp-sheet rp-whole", "data-unit": unit.code },
    letterhead(report),
    endedNote(unit, report.asOf),
    el("h3", { class: "rp-part-title" }, `I. ${upper(t("rpGeneral"))}`),
    section(1, t("rpCoverageHeading"), coverageTable(unit.coverage, counts)),
    section(
      2,
      t("rpBelowHeading"),
      children.length
        ? sheetTable(
            "below",
            [
              t("rpNumber"),
              t("unit"),
              t("code"),
              t("households"),
              t("householdsReached"),
              t("coverage"),
              t("rpUncovered"),
            ],
            below,
            [0, 3, 4, 5, 6],
          )
        : el("p", { class: "rp-none" }, t("rpNoChildren")),
      connection.totalCount > children.length
        ? el(
            "p",
            { class: "rp-note" },
            t("rpChildrenLeftOut", { count: num(children.length), total: num(connection.totalCount) }),
          )
        : null,
    ),
    childLevel
      ? section(3, `${t("rpGapsHeading")} (${named("levels", childLevel)})`, gapTable(childGaps))
      : null,
    section(
      childLevel ? 4 : 3,
      t("rpCadresHeading"),
      cadresTable(
        [
          { unit, supporters: unit.supporters, strong: true },
          ...children.map((c) => ({ unit: c, supporters: c.supporters })),
        ],
        phone,
      ),
    ),
  );
}

/** The rows of a unit one level down's gaps: the listed ones, and with the supporters two
 * levels down known, every unit there without one (its reason when the list names it); a note
 * for each level where the whole report's list stopped short of this unit's count. */
function partGaps(report, child) {
  const listed = report.byChild.get(child.code) ?? [];
  const below = report.found?.grand?.get(child.code) ?? null;
  const reasons = new Map(listed.map((g) => [g.unit.code, g.reason]));
  let rows = listed;
  if (below) {
    const known = new Set(below.map((u) => u.level));
    rows = listed.filter((g) => !known.has(g.unit.level));
    for (const u of below) {
      if (!u.supporters.length) rows.push({ unit: u, reason: reasons.get(u.code) ?? null });
    }
  }
  const order = new Map(report.levels.map((level, i) => [level, i]));
  rows.sort(
    (a, b) =>
      (order.get(a.unit.level) ?? 99) - (order.get(b.unit.level) ?? 99) ||
      a.unit.code.localeCompare(b.unit.code),
  );
  const notes = [];
  for (const l of child.coverage.levels) {
    const shown = rows.filter((g) => g.unit.level === l.level).length;
    const missing = l.units - l.covered - shown;
    if (missing > 0) {
      const words = { count: num(missing), level: named("levels", l.level), max: num(PAGE) };
      notes.push(el("p", { class: "rp-note" }, t("rpNotListed", words)));
    }
  }
  return [gapTable(rows), notes];
}

/** The page of one unit one level down. */
function part(report, child, i) {
  const below = report.found?.grand?.get(child.code);
  const groups = [{ unit: child, supporters: child.supporters, strong: true }];
  if (below) groups.push(...below.map((u) => ({ unit: u, supporters: u.supporters })));
  const id = `rp-part-${child.code}`;
  const section = (letter, title, ...content) =>
    el("section", { class: "rp-block" }, el("h5", {}, `${letter}) ${title}`), content);
  return el(
    "section",
    { class: "rp-sheet rp-part", "data-unit": child.code, "aria-labelledby": id },
    i === 0 ? el("h3", { class: "rp-part-title" }, `II. ${upper(t("rpByUnit"))}`) : null,
    el("h4", { id, class: "rp-unit-name" }, `${i + 1}. ${child.name}`),
    el(
      "p",
      { class: "rp-meta" },
      t("rpUnitMeta", { level: named("levels", child.level), code: child.code }),
      " · ",
      t("rpAsOf", { date: shortDate(report.asOf) }),
    ),
    section("a", t("rpCoverageHeading"), coverageTable(child.coverage, null)),
    section("b", t("rpGapsHeading"), partGaps(report, child)),
    section(
      "c",
      t("rpCadresHeading"),
      cadresTable(groups, report.phone),
      report.found?.leftOut && child.childrenConnection.totalCount
        ? el("p", { class: "rp-note" }, t("rpCadresLeftOut"))
        : null,
    ),
  );
}
