// A unit's page: the chain above it as a breadcrumb of units and the people who hold each
// link, its own supporters (each with a link to their yearly record) and everyone assigned,
// and the units below it (one request).

import { gql } from "../gql.js";
import { bar, cadreLink, day, el, href, levelOf, named, num, show, t, table, unitLink } from "../ui.js";
import { lifeNote } from "./overview.js";
import { recordLink } from "./record.js";

const PERSON = `cadre { id name phone titles } role since until decision`;

export const UNIT = `query Unit($code: ID!, $asOf: Date!) @asOf(date: $asOf) {
  unit(code: $code) {
    code name level kind validFrom validTo
    successors { code on resolution unit { code name } }
    coverage { households householdsReached ratio }
    supporters { ${PERSON} }
    assignments { id role since until decision countsForCoverage cadre { id name } }
    childrenConnection(first: 500) {
      totalCount
      nodes { code name level coverage { households householdsReached ratio } }
    }
  }
  chain(unit: $code) {
    level inChain covered rule
    unit { code name level }
    supporters { ${PERSON} }
  }
}`;

export function person(s, viewer) {
  const titles = s.cadre.titles?.length ? ` (${s.cadre.titles.map((x) => named("titles", x)).join(", ")})` : "";
  return el("span", { class: "person" },
    cadreLink(s.cadre),
    titles,
    viewer?.seesContacts && s.cadre.phone ? ` · ${t("phone")}: ${s.cadre.phone}` : "");
}

/** The chain above a unit, top down: each link's unit and who holds it. */
export function breadcrumb(chain, viewer) {
  const links = [...chain].reverse();
  return el("nav", { class: "breadcrumb", "aria-label": t("chainHeading") },
    el("ol", {}, links.map((link, i) =>
      el("li", { class: link.inChain && !link.covered ? "broken" : null, "aria-current": i === links.length - 1 ? "location" : null },
        el("span", { class: "level" }, named("levels", link.level)),
        el("a", { href: href("unit", link.unit.code) }, link.unit.name),
        link.rule
          ? el("span", { class: "people" },
              link.supporters.length
                ? link.supporters.map((s, k) => [k ? ", " : "", person(s, viewer)])
                : el("strong", {}, t("noSupporter")))
          : null,
      ))));
}

export async function view(ctx) {
  const { main, arg: code, asOf, viewer } = ctx;
  const data = await gql(UNIT, { code, asOf });
  if (ctx.stale()) return;
  const unit = data.unit;
  if (!unit) {
    show(main, el("h2", {}, code), el("p", {}, t("notFound", { code })));
    return;
  }
  const kids = unit.childrenConnection.nodes;
  show(
    main,
    el("h2", {}, unit.name),
    el("p", { class: "meta" }, `${levelOf(unit.level)} · ${unit.code} · ${t("asOf")} ${day(asOf)}`),
    lifeNote(unit, asOf),
    el("section", { "aria-labelledby": "chain-h" },
      el("h3", { id: "chain-h" }, t("chainHeading")),
      breadcrumb(data.chain, viewer)),
    el("p", {}, `${t("endToEnd")}: `, bar(unit.coverage.ratio, t("endToEnd")),
      ` ${num(unit.coverage.householdsReached)} / ${num(unit.coverage.households)}`),
    el("section", { "aria-labelledby": "sup-h" },
      el("h3", { id: "sup-h" }, t("supporters")),
      unit.supporters.length
        ? el("ul", {}, unit.supporters.map((s) => {
            const record = recordLink(s.cadre, asOf);
            return el("li", {}, person(s, viewer), ` · ${named("roles", s.role)} · ${t("since", { date: day(s.since) })}`,
              record ? [" · ", record] : null);
          }))
        : el("p", {}, el("strong", {}, t("noSupporter")))),
    unit.assignments.length
      ? el("details", {},
          el("summary", {}, t("assignmentsHeading")),
          table(null, [t("name"), t("role"), t("from"), t("to"), t("decision")],
            unit.assignments.map((a) => [
              a.cadre ? cadreLink(a.cadre) : "–", named("roles", a.role), day(a.since), day(a.until), a.decision,
            ])))
      : null,
    kids.length
      ? el("section", { "aria-labelledby": "kids-h" },
          el("h3", { id: "kids-h" }, `${t("childrenHeading")} (${num(unit.childrenConnection.totalCount)})`),
          table(null, [t("name"), t("households"), t("coverage")],
            kids.map((c) => [unitLink(c), num(c.coverage.households), bar(c.coverage.ratio, c.name)])))
      : null,
  );
}
