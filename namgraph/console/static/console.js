// The console's download buttons: fetch /reports/<kind>.<format> with the reader's token,
// save the answer under the name the server gives it, and show the server's own message when
// it refuses. No framework, no build step; every word shown comes from the page (data-*).

const TOKEN_KEY = "namgraph.token";

const root = document.getElementById("console");
const form = document.getElementById("ask");
const token = document.getElementById("token");
const unit = document.getElementById("unit");
const asOf = document.getElementById("asOf");
const level = document.getElementById("level");
const alertBox = document.getElementById("alert");
const statusBox = document.getElementById("status");
const words = root.dataset;

// The token lives in this tab's sessionStorage only: never in localStorage, a cookie or a URL.
token.value = sessionStorage.getItem(TOKEN_KEY) ?? "";
token.addEventListener("input", () => {
  const value = token.value.trim();
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
});

form.addEventListener("submit", (event) => event.preventDefault());
for (const button of form.querySelectorAll("button[data-kind]")) {
  button.addEventListener("click", () => download(button));
}

/** The file name of a Content-Disposition header: filename*=UTF-8''..., else filename="...". */
export function fileName(disposition, fallback) {
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition ?? "");
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // a malformed escape: fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(disposition ?? "");
  return plain && plain[1] ? plain[1] : fallback;
}

/** The server's messages of a refusal ({"errors": [{"message": ...}]}), else a general one. */
async function refusal(response) {
  try {
    const body = await response.json();
    const messages = (body.errors ?? []).map((e) => e.message).filter(Boolean);
    if (messages.length) return messages.join("\n");
  } catch {
    // not JSON: say what we know
  }
  return words.failed.replace("{status}", String(response.status));
}

function say(message, isError) {
  alertBox.textContent = isError ? message : "";
  statusBox.textContent = isError ? "" : message;
}

function setBusy(busy) {
  form.setAttribute("aria-busy", String(busy));
  for (const button of form.querySelectorAll("button[data-kind]")) button.disabled = busy;
}

async function download(button) {
  const kind = button.dataset.kind;
  const format = button.dataset.format;
  const params = new URLSearchParams({ unit: unit.value.trim() });
  if (asOf.value) params.set("asOf", asOf.value);
  if (kind === "gaps" && level.value) params.set("level", level.value);
  const headers = { "Accept-Language": document.documentElement.lang || "vi" };
  const secret = token.value.trim();
  if (secret) headers.Authorization = `Bearer ${secret}`;

  say(words.busy, false);
  setBusy(true);
  try {
    let response;
    try {
      response = await fetch(`/reports/${kind}.${format}?${params}`, {
        headers,
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      say(words.offline, true);
      return;
    }
    if (!response.ok) {
      say(await refusal(response), true);
      return;
    }
    const blob = await response.blob();
    const name = fileName(response.headers.get("Content-Disposition"), `${kind}.${format}`);
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    say(words.done.replace("{name}", name), false);
  } finally {
    setBusy(false);
    button.focus();
  }
}
