// A cadre's yearly record (phiếu đánh giá), shown on the cadre's page for a year chosen there:
// the units followed and for how many days, meetings attended against the minimum of the
// cadre's title, petitions received, passed on and answered in time, and the households
// reached at the year's end. Asked with the cadre's page (GraphQL `record`), never alone.

import { day, el, href, named, num, sentence, t, table, unitLink, words } from "../ui.js";

/** The fields of `record` the page shows. */
export const RECORD = `year end policy illustrative
    followed { unit { code name level } role days households householdsReached }
    meetingsAttended meetingsMissed minimum meetsMinimum
    petitionsReceived petitionsPassedOn petitionsAnsweredInTime petitionsAnsweredLate petitionsOpen
    households householdsReached`;

/** The years a record can be asked for on a date, latest first: from the year the first policy
 * came into force to the date's own (a year not over is counted up to the date). */
export function recordYears(asOf) {
  const last = Number(asOf.slice(0, 4));
  const from = words.activity?.first;
  if (from && from > asOf) return [];
  const first = from ? Number(from.slice(0, 4)) : last;
  const years = [];
  for (let year = last; year >= first; year -= 1) years.push(year);
  return years;
}

/** The year to show: the one in the address when it can be asked for, else the date's own
 * (today's, by default), saying so when the address named another. */
export function chosenYear(ctx, years) {
  const asked = (ctx.params.get("year") ?? "").trim();
  if (!years.length) return null;
  if (asked && years.includes(Number(asked)) && /^\d{4}$/.test(asked)) return Number(asked);
  if (asked) ctx.say(t("recBadYear", { year: asked, shown: years[0] }), true);
  return years[0];
}

/** The link to a cadre's record of the year of `asOf`, from where the cadre is named. */
export function recordLink(cadre, asOf) {
  const year = recordYears(asOf)[0];
  if (!year) return null;
  return el("a", { href: href("cadre", cadre.id, { year }), class: "record-link" },
    t("recHeading", { year }));
}

function yearForm(ctx, id, years, year) {
  const select = el("select", { id: "record-year", name: "year" },
    years.map((y) => el("option", { value: y, selected: y === year }, String(y))));
  const form = el("form", { class: "filters", id: "record-form" },
    el("div", { class: "field" }, el("label", { for: "record-year" }, t("recYear")), select),
    el("button", { type: "submit" }, t("show")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = href("cadre", id, { asOf: ctx.asOf, year: select.value });
  });
  return form;
}

/** The record's section of the cadre's page. */
export function recordSection(ctx, id, years, year, record) {
  if (!years.length || !record) return null;
  let counted = sentence(t("recCounted", {
    start: day(`${record.year}-01-01`),
    end: day(record.end),
    policy: record.policy,
  }));
  if (record.illustrative) counted += ` (${t("actIllustrative")})`;
  const minimum = record.minimum === null || record.minimum === undefined;
  const fact = (label, value) => [el("dt", {}, label), el("dd", {}, value)];
  return el("section", { "aria-labelledby": "record-h", id: "record" },
    el("h3", { id: "record-h" }, t("recHeading", { year: record.year })),
    yearForm(ctx, id, years, year),
    el("p", { class: "meta", id: "record-counted" }, counted),
    record.followed.length
      ? el("div", { class: "table-wrap" }, table(
          t("recFollowed"),
          [t("unit"), t("level"), t("role"), t("recDays"), t("households"), t("householdsReached")],
          record.followed.map((f) => [
            unitLink(f.unit), named("levels", f.unit.level), named("roles", f.role), num(f.days),
            num(f.households), num(f.householdsReached),
          ]),
          { class: "followed" }))
      : el("p", {}, `${t("recFollowed")}: ${t("none")}`),
    el("p", { id: "record-reached" }, t("recReached", {
      reached: num(record.householdsReached),
      households: num(record.households),
    })),
    el("dl", { class: "record-figures" },
      fact(t("recAttended"), num(record.meetingsAttended)),
      fact(t("recMissed"), num(record.meetingsMissed)),
      fact(t("recMinimum"), minimum ? sentence(t("recNoMinimum")) : num(record.minimum)),
      minimum ? null : fact(t("recMeetsMinimum"), sentence(record.meetsMinimum ? t("recMet") : t("recNotMet"))),
      fact(t("recReceived"), num(record.petitionsReceived)),
      fact(t("recPassedOn"), num(record.petitionsPassedOn)),
      fact(t("recInTime"), num(record.petitionsAnsweredInTime)),
      fact(t("recLate"), num(record.petitionsAnsweredLate)),
      fact(t("recOpen"), num(record.petitionsOpen)),
    ),
  );
}
