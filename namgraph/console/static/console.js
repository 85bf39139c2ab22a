// The console: sign-in, the unit and date every view answers for, and the views, each a
// module of ./views/ shown at its route (#/overview?unit=83&asOf=2023-05-01). No framework and
// no build step: ES modules served as files by namgraph itself.

import { ApiError, gql, stats, token } from "./gql.js";
import { el, named, show, t } from "./ui.js";
import * as cadre from "./views/cadre.js";
import * as gaps from "./views/gaps.js";
import * as overview from "./views/overview.js";
import * as report from "./views/report.js";
import * as reshuffle from "./views/reshuffle.js";
import * as search from "./views/search.js";
import * as tree from "./views/tree.js";
import * as unit from "./views/unit.js";

const VIEWS = { overview, tree, gaps, search, reshuffle, report, unit, cadre };
/** The views that act on the caller's role (apply, contacts in print) and wait to know it. */
const NEEDS_VIEWER = new Set(["reshuffle", "report"]);

const body = document.body;
const main = document.getElementById("view");
const alertBox = document.getElementById("alert");
const statusBox = document.getElementById("status");
const who = document.getElementById("who");
const tokenField = document.getElementById("token");
const signOut = document.getElementById("signout-button");
const unitField = document.getElementById("unit");
const dateField = document.getElementById("asOf");
const demo = body.dataset.demo === "true";

const VIEWER = `query Viewer { viewer { role demo mayApply seesContacts roots { code name level } } }`;

/** Who is signed in (the answer to `viewer`), once known. */
let viewer = null;
let shown = 0;

export function say(message, isError = false) {
  alertBox.textContent = isError ? message : "";
  statusBox.textContent = isError ? "" : message;
}

/** A real day written as 2023-05-01, else null. */
function isoDay(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text ?? "")) return null;
  const [y, m, d] = text.split("-").map(Number);
  const when = new Date(Date.UTC(y, m - 1, d));
  return when.getUTCMonth() === m - 1 && when.getUTCDate() === d ? text : null;
}

/** The route of the address: view, its argument, and the unit and date it answers for (a date
 * that is no day is today's, and says so). */
function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  const params = new URLSearchParams(query ?? "");
  const asked = (params.get("asOf") ?? "").trim();
  const asOf = asked ? isoDay(asked) : dateField.value || body.dataset.asOf;
  let arg = "";
  try {
    arg = rest.length ? decodeURIComponent(rest.join("/")).trim() : "";
  } catch {
    arg = rest.join("/");
  }
  return {
    name: VIEWS[name] ? name : "overview",
    arg,
    params,
    unit: (params.get("unit") ?? "").trim() || unitField.value.trim() || body.dataset.unit,
    asOf: asOf ?? body.dataset.asOf,
    badDate: asked && !asOf ? asked : null,
  };
}

/** The menu keeps the unit and the date: a view reached from it can be bookmarked. */
function keepInMenu(current) {
  const query = new URLSearchParams();
  if (current.unit) query.set("unit", current.unit);
  if (current.asOf) query.set("asOf", current.asOf);
  for (const link of document.querySelectorAll("nav a[data-view]")) {
    link.setAttribute("href", `#/${link.dataset.view}?${query}`);
    if (link.dataset.view === current.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function go(name, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  location.hash = `#/${name}${text ? `?${text}` : ""}`;
}

async function signIn() {
  const secret = tokenField.value.trim();
  token.set(secret);
  viewer = null;
  if (!secret && !demo) {
    who.textContent = "";
    signOut.hidden = true;
    show(main, el("h2", {}, t("signIn")), el("p", {}, t("needToken")));
    return false;
  }
  try {
    viewer = (await gql(VIEWER)).viewer;
  } catch (error) {
    token.set("");
    signOut.hidden = true;
    who.textContent = "";
    say(t("badToken", { message: error.message }), true);
    show(main, el("h2", {}, t("signIn")), el("p", {}, t("needToken")));
    return false;
  }
  signOut.hidden = !secret;
  const role = named("tokenRoles", viewer.role);
  const roots = viewer.roots;
  who.textContent =
    roots.length === 1 && !viewer.demo
      ? t("signedInAs", { role, scope: `${roots[0].name} (${roots[0].code})` })
      : t("signedInAll", { role });
  if (!viewer.demo && roots.length === 1) {
    // a scoped token: its unit is where the console starts
    body.dataset.unit = roots[0].code;
    unitField.value = roots[0].code;
  }
  return true;
}

async function render() {
  let current = route();
  const hash = location.hash;
  const ticket = ++shown;
  keepInMenu(current);
  unitField.value = current.name === "unit" && current.arg ? current.arg : current.unit;
  dateField.value = current.asOf;
  // who is asking is asked beside the view's own question, not before it: the API hides
  // what the token may not see, so only the views that act on the role wait for the answer
  let signing = null;
  if (!viewer) {
    signing = signIn();
    // wait when the view acts on the role, when there is no token to ask with, and when no
    // unit is named yet (a scoped token's unit comes with the answer)
    if (NEEDS_VIEWER.has(current.name) || (!token.get() && !demo) || !current.unit) {
      if (!(await signing)) {
        main.dataset.route = hash;
        main.setAttribute("aria-busy", "false");
        return;
      }
      signing = null;
      current = route();
      unitField.value = current.name === "unit" && current.arg ? current.arg : current.unit;
    }
  }
  if (ticket !== shown) return;
  say(current.badDate ? t("badDate", { date: current.badDate }) : "", Boolean(current.badDate));
  main.setAttribute("aria-busy", "true");
  const before = stats.requests;
  try {
    const showing = VIEWS[current.name].view({
      main,
      viewer,
      unit: current.unit,
      asOf: current.asOf,
      arg: current.arg,
      params: current.params,
      say,
      go,
      stale: () => ticket !== shown,
    });
    if (signing && !(await signing)) return; // the token was refused: signIn says so
    await showing;
  } catch (error) {
    if (ticket !== shown) return;
    // what the view was asked about does not exist here: said as the console says it
    let message = error instanceof ApiError ? error.message : String(error);
    if (error instanceof ApiError && error.code === "NOT_FOUND") {
      message = current.name === "cadre"
        ? t("noCadre", { id: current.arg })
        : t("notFound", { code: current.name === "unit" ? current.arg : current.unit });
    }
    show(main, el("h2", {}, named("views", current.name)), el("p", { class: "failed" }, message));
    say(message, true);
  } finally {
    if (ticket === shown) {
      main.setAttribute("aria-busy", "false");
      main.dataset.requests = String(stats.requests - before);
      main.dataset.view = current.name;
      main.dataset.route = hash; // what is shown now (the browser tests wait for it)
      const heading = main.querySelector("h2")?.textContent;
      const product = document.querySelector("h1").textContent;
      document.title = heading ? `${heading} · ${product}` : product;
    }
  }
}

document.getElementById("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  viewer = null;
  if (await signIn()) render();
});
signOut.addEventListener("click", () => {
  tokenField.value = "";
  token.set("");
  viewer = null;
  signIn();
});
document.getElementById("ask").addEventListener("submit", (event) => {
  event.preventDefault();
  const current = route();
  const params = Object.fromEntries(current.params);
  params.unit = unitField.value.trim();
  params.asOf = dateField.value;
  let path = current.arg ? `${current.name}/${encodeURIComponent(current.arg)}` : current.name;
  if (current.name === "unit") path = `unit/${encodeURIComponent(params.unit)}`;
  const query = new URLSearchParams(params).toString();
  location.hash = `#/${path}?${query}`;
});
window.addEventListener("hashchange", () => {
  // only the console's own routes (#/...): an in-page link is not a new view
  if (location.hash && !location.hash.startsWith("#/")) return;
  render()
    .catch((error) => say(String(error), true))
    .then(() => main.focus({ preventScroll: false }));
});
document.querySelector("a.skip").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

tokenField.value = token.get();
render().catch((error) => say(String(error), true));
