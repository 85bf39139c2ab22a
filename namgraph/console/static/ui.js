// What every view shares: the page's words, building elements (text only, never HTML), and
// numbers, percentages and dates written the reader's way.

const data = document.getElementById("words");
/** Every word the server translated for this page (see namgraph/console/words.py). */
export const words = JSON.parse(data ? data.textContent : "{}");
export const lang = document.documentElement.lang || "vi";

/** A word with its {placeholders} filled in. */
export function t(key, params = {}) {
  const text = words[key] ?? key;
  return String(text).replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

/** A word that starts in lower case, as the start of a sentence ("nắm thực tế: …"). */
export function sentence(text) {
  const s = String(text ?? "");
  return s ? s.charAt(0).toLocaleUpperCase(lang) + s.slice(1) : s;
}

/** What the policy in force on a day says of activity (the page's `activity` table): its
 * period in months and whether its figures are only illustrative; null if the page has none. */
export function activityOn(asOf) {
  const periods = words.activity?.periods ?? [];
  let found = periods[0] ?? null;
  for (const period of periods) if (period.from && period.from <= asOf) found = period;
  return found;
}

/** The name of a level, title, role, reason or status, from the policy's words. */
export function named(table, id) {
  return (words[table] ?? {})[id] ?? String(id ?? "").replaceAll("_", " ");
}

/** "level xã": a level's name as the kind of a unit (lower case, as in a sentence). */
export function levelOf(id) {
  return t("levelOf", { level: named("levels", id).toLocaleLowerCase(lang) });
}

/** An element: el("a", {href: "#/x", class: "y"}, "text", child, ...). Attributes whose value
 * is null, undefined or false are left out; strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An SVG element (charts). */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

const numbers = new Intl.NumberFormat(lang);
const percents = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
const days = new Intl.DateTimeFormat(lang, {
  day: "numeric",
  month: "numeric",
  year: "numeric",
  timeZone: "UTC",
});

export const num = (n) => (n === null || n === undefined ? "–" : numbers.format(n));
export const pct = (r) => (r === null || r === undefined ? "–" : percents.format(r));
/** An ISO date (2023-05-01) the reader's way: 1/5/2023 in Vietnamese. */
export function day(iso) {
  if (!iso) return "–";
  const [y, m, d] = iso.split("-").map(Number);
  return days.format(new Date(Date.UTC(y, m - 1, d)));
}

/** The coverage class of a ratio, for colours that always come with the number in text. */
export function band(ratio) {
  if (ratio === null || ratio === undefined) return "cov-none";
  if (ratio >= 0.95) return "cov-good";
  if (ratio >= 0.8) return "cov-fair";
  return "cov-poor";
}

/** A horizontal bar for a ratio, with the percentage in text beside it. */
export function bar(ratio, label) {
  const fill = el("span", { class: `fill ${band(ratio)}` });
  fill.style.width = `${Math.round((ratio ?? 0) * 1000) / 10}%`;
  return el(
    "span",
    { class: "bar", role: "img", "aria-label": `${label ?? ""} ${pct(ratio)}`.trim() },
    el("span", { class: "track" }, fill),
    el("span", { class: "value", "aria-hidden": "true" }, pct(ratio)),
  );
}

/** A link to a view: route("unit", "83") -> #/unit/83?asOf=... (keeps the date). */
export function href(view, arg, params = {}) {
  const query = new URLSearchParams();
  const current = new URLSearchParams(location.hash.split("?")[1] ?? "");
  if (current.get("asOf")) query.set("asOf", current.get("asOf"));
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") query.delete(key);
    else query.set(key, value);
  }
  const path = arg ? `#/${view}/${encodeURIComponent(arg)}` : `#/${view}`;
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export const unitLink = (unit) =>
  el("a", { href: href("unit", unit.code) }, unit.name, " ", el("span", { class: "code" }, unit.code));
export const cadreLink = (cadre) => el("a", { href: href("cadre", cadre.id) }, cadre.name);

/** A table: headers, then rows of cells (strings or elements). */
export function table(caption, headers, rows, attrs = {}) {
  return el(
    "table",
    attrs,
    caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el(
      "tbody",
      {},
      rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c)))),
    ),
  );
}

/** Replace what a view shows; the view's heading is first and takes the focus on a route. */
export function show(main, ...children) {
  main.replaceChildren();
  append(main, children);
}
