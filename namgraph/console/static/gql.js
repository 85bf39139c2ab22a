// The console talks to the server through the public GraphQL API only, as any dashboard
// would: one POST to /graphql per question (multipart for an uploaded file).

import { lang, t } from "./ui.js";

const TOKEN_KEY = "namgraph.token";

/** The token lives in this tab's sessionStorage only: never in localStorage, a cookie or a URL. */
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? "",
  set(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** How many GraphQL requests the page has sent (the browser tests read it). */
export const stats = { requests: 0 };

/** An answer with errors: the server's own messages, the first error's code and, for a file
 * the server could not read, its problems (row, column, what to fix); `extensions` are the
 * first error's own (a unit not in force on the date says when it ended or starts). */
export class ApiError extends Error {
  constructor(message, code, problems, extensions) {
    super(message);
    this.code = code;
    this.problems = problems ?? [];
    this.extensions = extensions ?? {};
  }
}

export function headers() {
  const out = { "Accept-Language": lang };
  const secret = token.get();
  if (secret) out.Authorization = `Bearer ${secret}`;
  return out;
}

async function send(body, json) {
  // a request that is not JSON (a file) must say it comes from a client of the API: the
  // server refuses plain form posts, which any web page could make a browser send
  const sent = json
    ? { ...headers(), "Content-Type": "application/json" }
    : { ...headers(), "X-Namgraph-Request": "1" };
  stats.requests += 1;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: sent,
      body,
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError(t("offline"), "OFFLINE");
  }
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new ApiError(t("failed", { status: response.status }), "HTTP");
  }
  if (answer.errors && answer.errors.length) {
    const messages = answer.errors.map((e) => e.message).filter(Boolean);
    const extensions = answer.errors[0].extensions ?? {};
    throw new ApiError(
      messages.join("\n") || t("failed", { status: response.status }),
      extensions.code ?? "ERROR",
      extensions.problems,
      extensions,
    );
  }
  return answer.data;
}

/** Ask a question: its data, or an ApiError carrying the server's message. */
export function gql(query, variables = {}) {
  return send(JSON.stringify({ query, variables }), true);
}

/** Ask a question that carries a file (GraphQL multipart request): `variables.file`. */
export function upload(query, variables, file) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, variables: { ...variables, file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", file, file.name);
  return send(form, false);
}
