// A cadre's page: who they are, the units they support and what they reach through unbroken
// chains, their load against the rule's limit, where the chain breaks below them, their yearly
// record for a year chosen on the page (this year by default), and their history of statuses
// and assignments (one request).

import { ApiError, gql } from "../gql.js";
import { day, el, href, levelOf, named, num, show, t, table, unitLink } from "../ui.js";
import { RECORD, chosenYear, recordSection, recordYears } from "./record.js";

export const CADRE = `query Cadre($id: ID!, $asOf: Date!, $year: Int!, $withRecord: Boolean!) @asOf(date: $asOf) {
  cadre(id: $id) {
    id name level titles status statusSince phone
    homeUnit { code name level }
    load { units households maxUnits overloaded }
    reach {
      direct { code name level }
      levels { level units reached }
      households
      breaks { unit { code name level } reason brokenAt }
    }
  }
  history(cadre: $id) {
    statuses { status since }
    assignments { id role since until decision unit { code name level } }
  }
  record(cadre: $id, year: $year, asOf: $asOf) @include(if: $withRecord) { ${RECORD} }
}`;

export async function view(ctx) {
  const { main, arg: id, asOf, viewer } = ctx;
  const years = recordYears(asOf);
  const year = chosenYear(ctx, years);
  const notHere = () => show(main, el("h2", {}, id), el("p", {}, t("noCadre", { id })));
  let data;
  try {
    data = await gql(CADRE, { id, asOf, year: year ?? 0, withRecord: year !== null });
  } catch (error) {
    // the record of a cadre who is not there (or not in the caller's scope) is refused
    if (!(error instanceof ApiError) || error.code !== "NOT_FOUND" || ctx.stale()) throw error;
    notHere();
    return;
  }
  if (ctx.stale()) return;
  const cadre = data.cadre;
  if (!cadre) {
    notHere();
    return;
  }
  const reach = cadre.reach;
  const load = cadre.load;
  const history = data.history;
  show(
    main,
    el("h2", {}, t("cadreHeading", { name: cadre.name })),
    el("dl", { class: "facts" },
      el("dt", {}, t("code")), el("dd", {}, cadre.id),
      el("dt", {}, t("level")), el("dd", {}, levelOf(cadre.level)),
      el("dt", {}, t("titlesLabel")), el("dd", {}, cadre.titles.map((x) => named("titles", x)).join(", ") || "–"),
      el("dt", {}, t("status")), el("dd", {}, named("statuses", cadre.status), cadre.statusSince ? ` · ${t("since", { date: day(cadre.statusSince) })}` : ""),
      el("dt", {}, t("home")), el("dd", {}, cadre.homeUnit ? unitLink(cadre.homeUnit) : "–"),
      viewer?.seesContacts && cadre.phone ? [el("dt", {}, t("phone")), el("dd", {}, cadre.phone)] : null,
    ),
    el("section", { "aria-labelledby": "load-h" },
      el("h3", { id: "load-h" }, t("loadHeading")),
      el("p", {}, t("load", { units: num(load.units), households: num(load.households) }),
        load.overloaded ? el("strong", { class: "warn" }, ` · ${t("overloaded", { max: num(load.maxUnits) })}`) : "")),
    el("section", { "aria-labelledby": "reach-h" },
      el("h3", { id: "reach-h" }, t("reachHeading")),
      el("p", {}, t("direct"), ": ", reach.direct.length ? reach.direct.map((u, i) => [i ? ", " : "", unitLink(u)]) : t("none")),
      table(null, [t("level"), t("units"), t("covered")],
        reach.levels.map((l) => [named("levels", l.level), num(l.units), num(l.reached)])),
      el("p", {}, `${t("households")}: ${num(reach.households)}`)),
    reach.breaks.length
      ? el("section", { "aria-labelledby": "breaks-h" },
          el("h3", { id: "breaks-h" }, t("breaksHeading")),
          table(null, [t("name"), t("level"), t("reason")],
            reach.breaks.map((b) => [unitLink(b.unit), named("levels", b.unit.level), named("reasons", b.reason)])))
      : null,
    recordSection(ctx, cadre.id, years, year, data.record),
    history
      ? el("section", { "aria-labelledby": "hist-h" },
          el("h3", { id: "hist-h" }, t("historyHeading")),
          el("p", {}, history.statuses.map((s, i) => [i ? " → " : "", named("statuses", s.status), s.since ? ` (${day(s.since)})` : ""])),
          history.assignments.length === 0 ? el("p", {}, t("none")) : table(null, [t("unit"), t("role"), t("from"), t("to"), t("decision")],
            history.assignments.map((a) => [
              a.unit ? el("a", { href: href("unit", a.unit.code) }, a.unit.name) : "–",
              named("roles", a.role), day(a.since), day(a.until), a.decision,
            ])))
      : null,
  );
}
