// Live search on the network tree: as the visitor types, fetch the server-rendered tree for the term and
// put it in place (the form still works without JavaScript). Nothing else runs here.
"use strict";
(function () {
  const input = document.getElementById("search");
  if (!input) return;
  let timer = null;
  let pending = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  function refresh() {
    const term = input.value;
    if (pending) pending.abort();
    pending = new AbortController();
    const query = new URLSearchParams({ q: term, fragment: "tree" });
    fetch("/ui/?" + query.toString(), { signal: pending.signal, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("search failed: " + response.status);
        return response.text();
      })
      .then(function (html) {
        const tree = document.getElementById("tree");
        const next = new DOMParser().parseFromString(html, "text/html").getElementById("tree");
        if (tree && next) tree.replaceWith(document.adoptNode(next));
        const url = term ? "/ui/?" + new URLSearchParams({ q: term }).toString() : "/ui/";
        history.replaceState(null, "", url);
        document.body.dataset.searched = term;
      })
      .catch(function (error) {
        if (error.name !== "AbortError") console.warn(error);
      });
  }
})();
