// namgraph's GraphiQL: starts GraphiQL (vendor/graphiql.min.js, over React) on the page that
// GET /graphql serves to a browser. Everything comes from this server; the page's
// Content-Security-Policy allows nothing else.
(function () {
  "use strict";

  var script = document.currentScript;
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint");

  // The dialogs' scroll lock adds a <style> element; this nonce is the one the page's
  // Content-Security-Policy allows for it (react-style-singleton reads __webpack_nonce__).
  window.__webpack_nonce__ = script.nonce;

  // Each request is a JSON POST to the endpoint, with the headers typed in GraphiQL's
  // Headers tab (e.g. {"Authorization": "Bearer <token>"}).
  function fetcher(params, options) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    var typed = (options && options.headers) || {};
    Object.keys(typed).forEach(function (name) {
      headers[name] = String(typed[name]);
    });
    return fetch(endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(params),
      credentials: "same-origin",
    }).then(function (response) {
      return response.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (_not_json) {
          return { errors: [{ message: "HTTP " + response.status + ": " + text }] };
        }
      });
    });
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false, // a token stays in this tab only
      inputValueDeprecation: true,
    })
  );
})();
