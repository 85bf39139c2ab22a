// Files from the token-gated downloads beside /graphql (/reports, /templates): the same
// token, scope and audit as the API; saved under the name the server gives.

import { ApiError, headers } from "./gql.js";
import { el, t } from "./ui.js";

/** A button that downloads /reports/<kind>.<format>?<params> (``params`` or a function that
 * gives them when it is pressed); its label says which file. */
export function exportButton(ctx, kind, format, params, label = t(format)) {
  const button = el("button", { type: "button", "data-kind": kind, "data-format": format }, label);
  button.addEventListener("click", () => download(ctx, button, kind, format, params));
  return button;
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

/** GET a file with the reader's token and save it; its name, or an ApiError with the
 * server's own words. (A GET with a header, so no plain link: the token is in this tab only.) */
export async function fetchAndSave(path, fallback) {
  let response;
  try {
    response = await fetch(path, { headers: headers(), cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiError(t("offline"), "OFFLINE");
  }
  if (!response.ok) {
    let message = t("failed", { status: response.status });
    let code = "HTTP";
    try {
      const body = await response.json();
      message = (body.errors ?? []).map((e) => e.message).join("\n") || message;
      code = body.errors?.[0]?.extensions?.code ?? code;
    } catch {
      // not JSON: the status says it
    }
    throw new ApiError(message, code);
  }
  const blob = await response.blob();
  const name = fileName(response.headers.get("Content-Disposition"), fallback);
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

async function download(ctx, button, kind, format, asked) {
  const params = typeof asked === "function" ? asked() : asked;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value) query.set(key, key === "reason" ? value.toLowerCase() : value);
  }
  ctx.say(t("busy"));
  button.disabled = true;
  try {
    const name = await fetchAndSave(`/reports/${kind}.${format}?${query}`, `${kind}.${format}`);
    ctx.say(t("done", { name }));
  } catch (error) {
    ctx.say(error.message, true);
  } finally {
    button.disabled = false;
    button.focus();
  }
}
