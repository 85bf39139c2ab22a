// Điều động, luân chuyển: the reshuffle template, a file uploaded as a plan (nothing written:
// its preview of coverage before and after, the units that lose their supporter with who could
// take them over, the file's errors and warnings by row and column), applying a plan after a
// confirmation, and the reshuffles applied so far.
//
// #/reshuffle shows the template, the upload form and the history (one request);
// #/reshuffle/<plan id> shows a kept plan as well (the same one request).

import { fetchAndSave } from "../download.js";
import { ApiError, gql, upload } from "../gql.js";
import {
  bar, cadreLink, day, el, lang, named, num, show, t, table, unitLink,
} from "../ui.js";

const COVERAGE = `households householdsReached ratio levels { level units covered ratio }`;
const MOVES = `id role since until cadre { id name } unit { code name level }`;
const PLAN = `id file kind decision effective madeAt madeBy
    summary { ended started continued statusChanges errors warnings }
    problems { row column message code }
    warnings { row column message code }
    scope { code name level }
    applied { id appliedAt appliedBy }
    preview {
      scope { code name level }
      before { ${COVERAGE} }
      after { ${COVERAGE} }
      lost { unit { code name level } candidates { units households maxUnits cadre { id name } } }
      newlyBrokenBelow { level units }
      gained { code name level }
    }
    ended { ${MOVES} }
    started { ${MOVES} }
    statusChanges { previous status cadre { id name } }`;
const HISTORY = `reshuffles {
    id file decision effective madeBy appliedAt appliedBy ended started statusChanges }`;

export const FIRST = `query Reshuffles { ${HISTORY} }`;
export const WITH_PLAN = `query ReshufflePlan($id: ID!) { plan(id: $id) { ${PLAN} } ${HISTORY} }`;
export const PLAN_FILE = `mutation PlanReshuffle($file: Upload!, $on: Date, $decision: String,
  $scope: ID, $sheet: String) {
  planReshuffle(file: $file, on: $on, decision: $decision, scope: $scope, sheet: $sheet) {
    ${PLAN}
  }
}`;
export const APPLY = `mutation ApplyPlan($id: ID!) {
  applyPlan(id: $id) {
    plan written
    record { id file decision effective appliedAt appliedBy ended started statusChanges }
  }
}`;

/** Coverage of each scope on the plan's date, asked again, and the history: one request. */
export function afterQuery(count) {
  const vars = Array.from({ length: count }, (_, i) => `, $u${i}: ID!`).join("");
  const fields = Array.from(
    { length: count },
    (_, i) => `c${i}: coverage(unit: $u${i}, asOf: $on) { ${COVERAGE} }`,
  ).join("\n  ");
  return `query AfterApply($on: Date!${vars}) {\n  ${fields}\n  ${HISTORY}\n}`;
}

/** How many rows a long list shows before "Show more". */
const PAGE = 20;

const moments = new Intl.DateTimeFormat(lang, {
  day: "numeric",
  month: "numeric",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** A moment (2023-06-01T08:30:00+00:00) the reader's way, in the browser's time zone. */
function when(iso) {
  const moment = new Date(iso ?? "");
  return Number.isNaN(moment.getTime()) ? (iso ?? "–") : moments.format(moment);
}

/** Move the focus to a result's heading, and the heading to the top of the window. */
function reveal(heading) {
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: "start" });
}

const signed = (n) => (n > 0 ? `+${num(n)}` : num(n));

/** Download the template (Excel or CSV) with the reader's token. */
async function downloadTemplate(form, button, status) {
  button.disabled = true;
  status.textContent = t("busy");
  try {
    const name = await fetchAndSave(`/templates/reshuffle.${form}`, `reshuffle.${form}`);
    status.textContent = t("done", { name });
  } catch (error) {
    status.textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

// --- building blocks --------------------------------------------------------------------------

/** A table that scrolls sideways on a narrow screen rather than the page. */
const wrap = (node) => el("div", { class: "table-wrap rs-wrap" }, node);

/** A table of many rows: the first PAGE, then "Show more" adds PAGE at a time. */
function longTable(caption, heads, rows, attrs = {}) {
  const node = table(caption, heads, rows.slice(0, PAGE), attrs);
  if (rows.length <= PAGE) return wrap(node);
  const body = node.querySelector("tbody");
  let shown = PAGE;
  const more = el("button", { type: "button", class: "secondary rs-more" }, t("more"));
  more.addEventListener("click", () => {
    const next = rows.slice(shown, shown + PAGE).map((cells) =>
      el("tr", { tabindex: "-1" }, cells.map((c) => el("td", {}, c))),
    );
    body.append(...next);
    shown += next.length;
    if (shown >= rows.length) {
      more.remove();
      next[0]?.focus();
    }
  });
  return el("div", {}, wrap(node), more);
}

function facts(pairs) {
  return el(
    "dl",
    { class: "rs-facts" },
    pairs.filter(Boolean).map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", {}, value))),
  );
}

const unitOrDash = (unit) => (unit ? unitLink(unit) : "–");
const cadreOrDash = (cadre) => (cadre ? cadreLink(cadre) : "–");

/** The problems of a file, by row and column, with what to fix. */
function problemTable(problems, kind) {
  return longTable(
    null,
    [t("rsRow"), t("rsColumn"), t("rsWhatToFix"), t("rsProblemCode")],
    problems.map((p) => [
      p.row === null || p.row === undefined ? t("rsWholeFile") : num(p.row),
      p.column ?? "–",
      p.message,
      el("span", { class: "code" }, p.code ?? ""),
    ]),
    { class: `rs-problems ${kind}` },
  );
}

function problemsBlock(problems, warnings) {
  const out = [];
  if (problems.length) {
    out.push(
      el(
        "section",
        { class: "rs-box rs-errors", "aria-labelledby": "rs-errors-h" },
        el("h4", { id: "rs-errors-h" }, t("rsErrorsHeading", { count: num(problems.length) })),
        problemTable(problems, "errors"),
      ),
    );
  }
  if (warnings.length) {
    out.push(
      el(
        "section",
        { class: "rs-box rs-warnings", "aria-labelledby": "rs-warnings-h" },
        el("h4", { id: "rs-warnings-h" }, t("rsWarningsHeading", { count: num(warnings.length) })),
        problemTable(warnings, "warnings"),
      ),
    );
  }
  return out;
}

/** A coverage cell: the bar and "covered of units" (or households reached of households). */
function coverageCell(ratio, covered, units, label) {
  return el(
    "span",
    { class: "rs-cov" },
    bar(ratio, label),
    el("span", { class: "rs-of" }, t("rsCoveredOf", { covered: num(covered), units: num(units) })),
  );
}

/** Coverage side by side, per level and end to end: one column per coverage in `columns`
 * ([heading, coverage] pairs); with `change`, the change from the first to the last. */
function coverageTable(columns, change) {
  const [, first] = columns[0];
  const [, last] = columns.at(-1);
  const heads = [t("level"), ...columns.map(([heading]) => heading)];
  if (change) heads.push(t("rsChange"));
  const rows = first.levels.map((level, i) => {
    const label = named("levels", level.level);
    const cells = [
      label,
      ...columns.map(([heading, cov]) => {
        const at = cov.levels.find((l) => l.level === level.level) ?? cov.levels[i];
        return coverageCell(at?.ratio, at?.covered, at?.units, `${label}, ${heading}`);
      }),
    ];
    if (change) {
      const at = last.levels.find((l) => l.level === level.level);
      cells.push(signed((at?.covered ?? 0) - level.covered));
    }
    return cells;
  });
  const total = [
    el("strong", {}, t("endToEnd")),
    ...columns.map(([heading, cov]) =>
      coverageCell(cov.ratio, cov.householdsReached, cov.households, `${t("endToEnd")}, ${heading}`),
    ),
  ];
  if (change) total.push(signed(last.householdsReached - first.householdsReached));
  rows.push(total);
  return wrap(table(null, heads, rows, { class: "rs-coverage" }));
}

function candidateList(candidates) {
  if (!candidates.length) return el("span", { class: "placeholder" }, t("rsNoCandidates"));
  return el(
    "ul",
    { class: "rs-candidates" },
    candidates.map((c) =>
      el(
        "li",
        {},
        cadreOrDash(c.cadre),
        " ",
        el(
          "span",
          { class: "people" },
          c.maxUnits === null || c.maxUnits === undefined
            ? t("rsCandidateFree", { units: num(c.units), households: num(c.households) })
            : t("rsCandidateLoad", {
                units: num(c.units),
                max: num(c.maxUnits),
                households: num(c.households),
              }),
        ),
      ),
    ),
  );
}

function scopeName(unit) {
  return unit ? `${unit.name} (${unit.code})` : "–";
}

/** One scope's preview: coverage before and after, what loses its supporter, who could take
 * over, what the plan breaks below, what gains a supporter. */
function scopePreview(preview, plan, index) {
  const id = `rs-scope-${index}`;
  const broken = preview.newlyBrokenBelow.filter((b) => b.units > 0);
  return el(
    "section",
    { class: "rs-scope", "aria-labelledby": id },
    el("h4", { id }, t("rsCoverageOf", { unit: scopeName(preview.scope), date: day(plan.effective) })),
    coverageTable(
      [
        [t("rsBefore"), preview.before],
        [t("rsAfter"), preview.after],
      ],
      true,
    ),
    el("h5", {}, t("rsLostHeading", { count: num(preview.lost.length) })),
    preview.lost.length
      ? longTable(
          null,
          [t("unit"), t("level"), t("rsCandidates")],
          preview.lost.map((loss) => [
            unitOrDash(loss.unit),
            loss.unit ? named("levels", loss.unit.level) : "–",
            candidateList(loss.candidates),
          ]),
          { class: "rs-lost" },
        )
      : el("p", {}, t("rsNoLoss")),
    broken.length
      ? [
          el("h5", {}, t("rsBrokenHeading")),
          wrap(
            table(
              null,
              [t("level"), t("units")],
              broken.map((b) => [named("levels", b.level), num(b.units)]),
              { class: "rs-broken" },
            ),
          ),
        ]
      : null,
    preview.gained.length
      ? [
          el("h5", {}, t("rsGainedHeading", { count: num(preview.gained.length) })),
          el("ul", { class: "rs-gained" }, preview.gained.map((u) => el("li", {}, unitLink(u)))),
        ]
      : null,
  );
}

/** Every assignment ended and started, every status changed, in a disclosure. */
function changeList(plan) {
  const moves = (list) =>
    list.map((a) => [
      cadreOrDash(a.cadre),
      unitOrDash(a.unit),
      named("roles", a.role),
      day(a.since),
      a.until ? day(a.until) : "–",
    ]);
  const heads = [t("rsCadre"), t("unit"), t("rsRole"), t("rsSince"), t("rsUntil")];
  return el(
    "details",
    { class: "rs-changes" },
    el("summary", {}, t("rsChangesHeading")),
    plan.ended.length
      ? longTable(`${t("rsEnded")} (${num(plan.ended.length)})`, heads, moves(plan.ended))
      : null,
    plan.started.length
      ? longTable(`${t("rsStarted")} (${num(plan.started.length)})`, heads, moves(plan.started))
      : null,
    plan.statusChanges.length
      ? longTable(
          `${t("rsStatusChanges")} (${num(plan.statusChanges.length)})`,
          [t("rsCadre"), t("rsStatusBefore"), t("rsStatusAfter")],
          plan.statusChanges.map((s) => [
            cadreOrDash(s.cadre),
            named("statuses", s.previous),
            named("statuses", s.status),
          ]),
        )
      : null,
  );
}

function counts(summary) {
  const item = (label, value, kind) =>
    el("div", { class: `rs-count ${kind ?? ""}`.trim() }, el("dt", {}, label), el("dd", {}, num(value)));
  return el(
    "dl",
    { class: "rs-counts" },
    item(t("rsEnded"), summary.ended),
    item(t("rsStarted"), summary.started),
    item(t("rsContinued"), summary.continued),
    item(t("rsStatusChanges"), summary.statusChanges),
    item(t("rsErrors"), summary.errors, summary.errors ? "bad" : null),
    item(t("rsWarnings"), summary.warnings, summary.warnings ? "warn" : null),
  );
}

// --- the view ---------------------------------------------------------------------------------

export async function view(ctx) {
  const { main, viewer } = ctx;
  const planId = ctx.arg;
  const data = planId ? await gql(WITH_PLAN, { id: planId }) : await gql(FIRST);
  if (ctx.stale()) return;
  const page = {
    ctx,
    viewer,
    result: el("div", { id: "rs-result", class: "rs-result" }),
    history: el("section", { id: "rs-history", "aria-labelledby": "rs-history-h" }),
  };
  fillHistory(page, data.reshuffles);
  show(
    main,
    el("h2", {}, named("views", "reshuffle")),
    el("p", { class: "meta" }, t("rsIntro")),
    el(
      "div",
      { class: "rs-start" },
      templateCard(),
      viewer.mayApply
        ? uploadCard(page)
        : el(
            "p",
            { class: "rs-card note" },
            t("rsReadOnly", { role: named("tokenRoles", viewer.role) }),
          ),
    ),
    page.result,
    page.history,
  );
  if (planId) {
    if (data.plan) showPlan(page, data.plan, false);
    else page.result.append(el("p", { class: "note" }, t("rsPlanMissing", { id: planId })));
  }
  main.dataset.shown = "reshuffle";
}

function templateCard() {
  const status = el("p", { class: "rs-status", role: "status" });
  const button = (form, label) => {
    const node = el("button", { type: "button", class: "secondary", "data-template": form }, label);
    node.addEventListener("click", () => downloadTemplate(form, node, status));
    return node;
  };
  return el(
    "section",
    { class: "rs-card", "aria-labelledby": "rs-template-h" },
    el("h3", { id: "rs-template-h" }, t("rsTemplateHeading")),
    el("p", { class: "help" }, t("rsTemplateHelp")),
    el("div", { class: "buttons" }, button("xlsx", t("rsTemplateXlsx")), button("csv", t("rsTemplateCsv"))),
    status,
  );
}

function field(id, label, input, help) {
  if (help) input.setAttribute("aria-describedby", `${id}-help`);
  return el(
    "div",
    { class: "field" },
    el("label", { for: id }, label),
    input,
    help ? el("p", { class: "help", id: `${id}-help` }, help) : null,
  );
}

function uploadCard(page) {
  const file = el("input", {
    id: "rs-file",
    name: "file",
    type: "file",
    accept: ".csv,.xlsx",
    required: true,
  });
  const on = el("input", {
    id: "rs-on",
    name: "on",
    type: "date",
    "aria-describedby": "rs-on-help",
  });
  const decision = el("input", {
    id: "rs-decision",
    name: "decision",
    spellcheck: "false",
    autocomplete: "off",
    placeholder: t("rsDecisionExample"),
  });
  const scope = el("input", { id: "rs-scope", name: "scope", spellcheck: "false", autocomplete: "off" });
  const sheet = el("input", { id: "rs-sheet", name: "sheet", spellcheck: "false", autocomplete: "off" });
  const submit = el("button", { type: "submit" }, t("rsPreview"));
  const status = el("p", { class: "rs-status", role: "status", "aria-live": "polite" });
  const form = el(
    "form",
    { class: "rs-form", autocomplete: "off", novalidate: true },
    field("rs-file", t("rsFile"), file, t("rsFileHelp")),
    el(
      "div",
      {},
      el(
        "div",
        { class: "rs-row" },
        field("rs-on", t("rsOn"), on),
        field("rs-decision", t("rsDecision"), decision),
      ),
      el("p", { class: "help", id: "rs-on-help" }, t("rsOnHelp")),
    ),
    el(
      "details",
      { class: "rs-options" },
      el("summary", {}, t("rsMoreOptions")),
      field("rs-scope", t("rsScope"), scope, t("rsScopeHelp")),
      field("rs-sheet", t("rsSheet"), sheet),
    ),
    el("div", { class: "buttons" }, submit),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      status.textContent = t("rsNoFile");
      file.focus();
      return;
    }
    const variables = {
      on: on.value || null,
      decision: decision.value.trim() || null,
      scope: scope.value.trim() || null,
      sheet: sheet.value.trim() || null,
    };
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    page.result.setAttribute("aria-busy", "true");
    status.textContent = t("rsUploading", { file: chosen.name });
    let plan = null;
    let failure = null;
    try {
      plan = (await upload(PLAN_FILE, variables, chosen)).planReshuffle;
    } catch (error) {
      failure = error;
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
      page.result.removeAttribute("aria-busy");
    }
    if (page.ctx.stale()) return;
    status.textContent = "";
    // how many answers to an upload this page has shown (the browser tests wait on it)
    page.result.dataset.answers = String(Number(page.result.dataset.answers ?? 0) + 1);
    if (plan) {
      showPlan(page, plan, true);
      // the address names the plan (a reload or a colleague sees it) without showing it again
      history.replaceState(null, "", planLink(plan.id));
    } else {
      showRefusal(page, failure, chosen.name);
    }
  });
  return el(
    "section",
    { class: "rs-card rs-upload", "aria-labelledby": "rs-upload-h" },
    el("h3", { id: "rs-upload-h" }, t("rsUploadHeading")),
    form,
  );
}

/** A file the server would not make a plan of: its problems by row and column when it names
 * them, else its message and code. */
function showRefusal(page, error, name) {
  const heading = el("h3", { id: "rs-plan-h", tabindex: "-1" }, name);
  const problems = error instanceof ApiError ? error.problems : [];
  if (problems.length) {
    const errors = problems.filter((p) => (p.severity ?? "error") === "error");
    const warnings = problems.filter((p) => (p.severity ?? "error") !== "error");
    page.result.replaceChildren(
      heading,
      el("p", { class: "rs-blocked" }, t("rsRefusedFile", { count: num(errors.length) })),
      ...problemsBlock(errors, warnings),
    );
  } else {
    page.result.replaceChildren(heading, refusal(error));
  }
  reveal(heading);
}

function refusal(error) {
  const code = error?.code ?? "ERROR";
  const message = error?.message ?? String(error);
  return el(
    "p",
    { class: "rs-box rs-errors rs-refused", role: "alert", "data-code": code },
    code === "STALE_PLAN" ? t("rsStale", { message }) : t("rsRefused", { message, code }),
  );
}

function showPlan(page, plan, focus) {
  const heading = el("h3", { id: "rs-plan-h", tabindex: "-1" }, t("rsPlanHeading", { id: plan.id }));
  const kind =
    plan.kind === "roster"
      ? t("rsKindRoster", { unit: scopeName(plan.scope) })
      : t("rsKindChanges");
  page.result.replaceChildren(
    el(
      "section",
      { class: "rs-plan", "aria-labelledby": "rs-plan-h", "data-plan": plan.id },
      heading,
      facts([
        [t("rsPlanId"), el("span", { class: "code" }, plan.id)],
        [t("rsFileName"), plan.file],
        [t("rsKind"), kind],
        [t("rsEffective"), day(plan.effective)],
        [t("rsDecisionName"), plan.decision || "–"],
        [t("rsMade"), t("rsMadeValue", { when: when(plan.madeAt), who: plan.madeBy })],
      ]),
      el("h4", {}, t("rsSummaryHeading")),
      counts(plan.summary),
      problemsBlock(plan.problems, plan.warnings),
      plan.preview.map((preview, i) => scopePreview(preview, plan, i)),
      plan.ended.length + plan.started.length + plan.statusChanges.length ? changeList(plan) : null,
      applyPanel(page, plan),
    ),
  );
  if (focus) reveal(heading);
}

function applyPanel(page, plan) {
  const panel = el("section", { class: "rs-apply", "aria-labelledby": "rs-apply-h" });
  const heading = el("h4", { id: "rs-apply-h" }, t("rsApplyHeading"));
  if (plan.applied) {
    panel.append(
      heading,
      el(
        "p",
        { class: "note" },
        t("rsAlreadyApplied", { when: when(plan.applied.appliedAt), who: plan.applied.appliedBy }),
      ),
    );
    return panel;
  }
  if (plan.summary.errors > 0 || plan.problems.length) {
    panel.append(heading, el("p", { class: "rs-blocked" }, t("rsNotApplicable")));
    return panel;
  }
  if (!page.viewer.mayApply) {
    panel.append(heading, el("p", { class: "note" }, t("rsMayNotApply")));
    return panel;
  }
  const status = el("p", { class: "rs-status", role: "status", "aria-live": "polite" });
  const outcome = el("div", { class: "rs-outcome" });
  const open = el("button", { type: "button", id: "rs-apply" }, t("rsApply"));
  const confirm = el("button", { type: "button", id: "rs-confirm" }, t("rsConfirm"));
  const cancel = el("button", { type: "button", class: "secondary", autofocus: true }, t("rsCancel"));
  const summary = plan.summary;
  const dialog = el(
    "dialog",
    { class: "rs-dialog", "aria-labelledby": "rs-confirm-h", "aria-describedby": "rs-confirm-text" },
    el("h3", { id: "rs-confirm-h" }, t("rsConfirmHeading", { id: plan.id })),
    el(
      "p",
      { id: "rs-confirm-text" },
      t("rsConfirmText", {
        date: day(plan.effective),
        decision: plan.decision || "–",
        ended: num(summary.ended),
        started: num(summary.started),
        statuses: num(summary.statusChanges),
      }),
    ),
    facts([
      [t("rsPlanId"), el("span", { class: "code" }, plan.id)],
      [t("rsFileName"), plan.file],
      [t("rsEnded"), num(summary.ended)],
      [t("rsStarted"), num(summary.started)],
      [t("rsStatusChanges"), num(summary.statusChanges)],
    ]),
    el("div", { class: "buttons" }, confirm, cancel),
  );
  open.addEventListener("click", () => {
    outcome.replaceChildren();
    dialog.showModal();
    cancel.focus();
  });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (!open.disabled) open.focus();
  });
  confirm.addEventListener("click", async () => {
    open.disabled = true;
    dialog.close();
    status.textContent = t("rsApplying", { id: plan.id });
    let done;
    try {
      done = (await gql(APPLY, { id: plan.id })).applyPlan;
    } catch (error) {
      if (page.ctx.stale()) return;
      status.textContent = "";
      const said = refusal(error);
      said.tabIndex = -1;
      outcome.replaceChildren(said);
      // a stale plan stays stale: a new upload makes a new one
      open.disabled = error.code === "STALE_PLAN";
      said.focus();
      return;
    }
    if (page.ctx.stale()) return;
    open.remove();
    await showApplied(page, plan, done, outcome);
    status.textContent = "";
  });
  panel.append(heading, open, status, outcome, dialog);
  return panel;
}

/** What applying did, and coverage of each scope asked again on the plan's date. */
async function showApplied(page, plan, done, outcome) {
  const heading = el("h3", { id: "rs-applied-h", tabindex: "-1" }, t("rsAppliedHeading", { id: plan.id }));
  const record = done.record;
  const said = done.written && record
    ? t("rsAppliedText", {
        ended: num(record.ended),
        started: num(record.started),
        statuses: num(record.statusChanges),
        date: day(record.effective),
      })
    : t("rsNothingWritten");
  outcome.replaceChildren(
    el(
      "section",
      { class: "rs-box rs-done", "aria-labelledby": "rs-applied-h", "data-applied": plan.id },
      heading,
      el("p", {}, said),
      record
        ? facts([
            [t("rsAppliedAt"), when(record.appliedAt)],
            [t("rsAppliedBy"), record.appliedBy],
          ])
        : null,
    ),
  );
  reveal(heading);
  const scopes = plan.preview.filter((p) => p.scope);
  const variables = { on: plan.effective };
  scopes.forEach((p, i) => (variables[`u${i}`] = p.scope.code));
  let again;
  try {
    again = await gql(afterQuery(scopes.length), variables);
  } catch (error) {
    if (!page.ctx.stale()) outcome.firstChild.append(refusal(error));
    return;
  }
  if (page.ctx.stale()) return;
  const box = outcome.firstChild;
  scopes.forEach((preview, i) => {
    const id = `rs-now-${i}`;
    box.append(
      el(
        "section",
        { class: "rs-scope rs-now", "aria-labelledby": id, "data-scope": preview.scope.code },
        el("h4", { id }, t("rsCoverageNow", { unit: scopeName(preview.scope), date: day(plan.effective) })),
        coverageTable(
          [
            [t("rsBefore"), preview.before],
            [t("rsForeseen"), preview.after],
            [t("rsNow"), again[`c${i}`]],
          ],
          true,
        ),
      ),
    );
  });
  fillHistory(page, again.reshuffles);
}

function fillHistory(page, records) {
  const newest = [...records].sort(
    (a, b) => (b.appliedAt ?? "").localeCompare(a.appliedAt ?? "") || b.id.localeCompare(a.id),
  );
  page.history.replaceChildren(
    el("h3", { id: "rs-history-h" }, t("rsHistoryHeading")),
    newest.length
      ? longTable(
          null,
          [
            t("rsAppliedAt"),
            t("rsEffective"),
            t("rsDecisionName"),
            t("rsFileName"),
            t("rsCounts"),
            t("rsAppliedBy"),
            t("rsPlanId"),
          ],
          newest.map((r) => [
            when(r.appliedAt),
            day(r.effective),
            r.decision || "–",
            r.file,
            `${num(r.ended)} · ${num(r.started)} · ${num(r.statusChanges)}`,
            r.appliedBy,
            el("a", { href: planLink(r.id), class: "code" }, r.id),
          ]),
          { class: "rs-history" },
        )
      : el("p", { class: "placeholder" }, t("rsHistoryNone")),
  );
}

/** The address of a plan, keeping the unit and date of the page. */
function planLink(id) {
  const query = location.hash.split("?")[1];
  return `#/reshuffle/${encodeURIComponent(id)}${query ? `?${query}` : ""}`;
}
