// Cây đơn vị: from the unit down to the household groups, each node coloured by its coverage
// with its supporters; a node's units below are asked when it is opened (one request each).
// Keyboard: the WAI-ARIA tree pattern (arrows, Home, End, Enter).

import { gql } from "../gql.js";
import { band, cadreLink, el, href, named, pct, show, t, words } from "../ui.js";

const NODE = `code name level
  coverage { households ratio }
  supporters { cadre { id name phone } }`;

export const TREE = `query Tree($code: ID!, $asOf: Date!) @asOf(date: $asOf) {
  levels { id counted }
  unit(code: $code) {
    ${NODE}
    childrenConnection(first: 500) { totalCount nodes { ${NODE} } }
  }
}`;

export const CHILDREN = `query Below($code: ID!, $asOf: Date!) @asOf(date: $asOf) {
  unit(code: $code) { childrenConnection(first: 500) { totalCount nodes { ${NODE} } } }
}`;

const lowest = () => Object.keys(words.levels ?? {}).at(-1);

export async function view(ctx) {
  const { main, unit: code, asOf } = ctx;
  if (!code) {
    show(main, el("h2", {}, named("views", "tree")), el("p", {}, t("noUnit")));
    return;
  }
  const data = await gql(TREE, { code, asOf });
  if (ctx.stale()) return;
  if (!data.unit) {
    show(main, el("h2", {}, named("views", "tree")), el("p", {}, t("notFound", { code })));
    return;
  }
  // a level nobody is assigned to support (the province) shows no "no supporter"
  ctx.counted = new Set(data.levels.filter((l) => l.counted).map((l) => l.id));
  const tree = el("ul", { role: "tree", class: "tree", "aria-labelledby": "tree-h" });
  const root = node(ctx, data.unit, 1);
  tree.append(root);
  fill(ctx, root, data.unit.childrenConnection.nodes);
  root.setAttribute("tabindex", "0");
  tree.addEventListener("keydown", (event) => keys(ctx, tree, event));
  show(
    main,
    el("h2", { id: "tree-h" }, `${named("views", "tree")}: ${data.unit.name}`),
    el("p", { class: "help", id: "tree-help" }, t("treeHint")),
    tree,
  );
  tree.setAttribute("aria-describedby", "tree-help");
}

function node(ctx, unit, depth) {
  const leaf = unit.level === lowest();
  const ratio = unit.coverage.ratio;
  const people = unit.supporters.length
    ? unit.supporters.map((s, i) => [
        i ? ", " : "",
        cadreLink(s.cadre),
        ctx.viewer?.seesContacts && s.cadre.phone ? ` (${s.cadre.phone})` : "",
      ])
    : ctx.counted?.has(unit.level) ? el("strong", {}, t("noSupporter")) : null;
  const item = el(
    "li",
    {
      role: "treeitem",
      "aria-level": depth,
      "aria-expanded": leaf ? null : "false",
      tabindex: "-1",
      "data-code": unit.code,
      "aria-label": `${unit.name}, ${named("levels", unit.level)}, ${unit.coverage.households ? t("ratio", { ratio: pct(ratio) }) : t("noData")}`,
    },
    el("span", { class: "node" },
      el("span", { class: "toggle", "aria-hidden": "true" }, leaf ? "·" : "▸"),
      el("a", { href: href("unit", unit.code), tabindex: "-1" }, unit.name),
      el("span", { class: "code" }, unit.code),
      el("span", { class: `chip ${band(ratio)}` }, unit.coverage.households ? pct(ratio) : t("noData")),
      el("span", { class: "people" }, people)),
  );
  item.querySelector(".toggle").addEventListener("click", () => toggle(ctx, item));
  return item;
}

function fill(ctx, item, children) {
  const depth = Number(item.getAttribute("aria-level")) + 1;
  const group = el("ul", { role: "group" }, children.map((c) => node(ctx, c, depth)));
  item.append(group);
  item.setAttribute("aria-expanded", "true");
  item.querySelector(".toggle").textContent = "▾";
}

async function toggle(ctx, item) {
  if (!item.hasAttribute("aria-expanded")) return;
  const group = item.querySelector(":scope > ul");
  if (item.getAttribute("aria-expanded") === "true") {
    item.setAttribute("aria-expanded", "false");
    item.querySelector(".toggle").textContent = "▸";
    if (group) group.hidden = true;
    return;
  }
  if (group) {
    group.hidden = false;
    item.setAttribute("aria-expanded", "true");
    item.querySelector(".toggle").textContent = "▾";
    return;
  }
  item.setAttribute("aria-busy", "true");
  try {
    const data = await gql(CHILDREN, { code: item.dataset.code, asOf: ctx.asOf });
    fill(ctx, item, data.unit ? data.unit.childrenConnection.nodes : []);
  } catch (error) {
    ctx.say(error.message, true);
  } finally {
    item.removeAttribute("aria-busy");
  }
}

function visible(tree) {
  return [...tree.querySelectorAll('[role="treeitem"]')].filter((n) => !n.closest("ul[hidden]"));
}

function focus(tree, target) {
  for (const n of tree.querySelectorAll('[role="treeitem"][tabindex="0"]')) n.setAttribute("tabindex", "-1");
  target.setAttribute("tabindex", "0");
  target.focus();
}

function keys(ctx, tree, event) {
  const current = event.target.closest('[role="treeitem"]');
  if (!current) return;
  const items = visible(tree);
  const at = items.indexOf(current);
  const expanded = current.getAttribute("aria-expanded");
  switch (event.key) {
    case "ArrowDown":
      if (at < items.length - 1) focus(tree, items[at + 1]);
      break;
    case "ArrowUp":
      if (at > 0) focus(tree, items[at - 1]);
      break;
    case "ArrowRight":
      if (expanded === "false") toggle(ctx, current);
      else if (expanded === "true") {
        const first = current.querySelector(':scope > ul > [role="treeitem"]');
        if (first) focus(tree, first);
      }
      break;
    case "ArrowLeft":
      if (expanded === "true") toggle(ctx, current);
      else {
        const parent = current.parentElement.closest('[role="treeitem"]');
        if (parent) focus(tree, parent);
      }
      break;
    case "Home":
      focus(tree, items[0]);
      break;
    case "End":
      focus(tree, items.at(-1));
      break;
    case "Enter":
      location.hash = href("unit", current.dataset.code);
      break;
    default:
      return;
  }
  event.preventDefault();
}
