// Progressive enhancement for the search box: product-name suggestions in a <datalist>.
// The page works without it (plain GET form); no inline script, so the CSP stays strict.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  if (!input || !list || !window.fetch) { return; }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var timer = null;
  var last = "";
  input.addEventListener("input", function () {
    var text = input.value.trim();
    if (timer) { clearTimeout(timer); }
    if (!text || text.length > 50 || text === last) { return; }
    timer = setTimeout(function () {
      last = text;
      fetch(input.getAttribute("data-autocomplete-url") + "?q=" + encodeURIComponent(text),
            {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (resp) { return resp.ok ? resp.json() : {suggestions: []}; })
        .then(function (body) {
          while (list.firstChild) { list.removeChild(list.firstChild); }
          (body.suggestions || []).forEach(function (s) {
            var option = document.createElement("option");
            option.value = (zh ? (s.name_zh || s.name_en) : (s.name_en || s.name_zh)) || "";
            list.appendChild(option);
          });
        })
        .catch(function () { /* suggestions are optional */ });
    }, 150);
  });
}());
