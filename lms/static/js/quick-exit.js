/* Quick exit: leave for the neutral page without leaving this one in the back history; Esc x3 does the same.
   Inside a sensitive course every step (a link, a form) REPLACES the page in the history instead of adding one,
   so after «Salir rápido» the Back button never shows a page of the course. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) { return; }
  var target = link.href, presses = [];
  var scope = (link.getAttribute("data-scope") || "").split(" ").filter(Boolean);

  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.style.visibility = "hidden";
    window.location.replace(target);
  }

  function inside(url) {
    if (url.origin !== window.location.origin) { return false; }
    return scope.some(function (p) { return url.pathname === p || url.pathname.indexOf(p + "/") === 0; });
  }

  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) { leave(event); }
  });

  document.addEventListener("click", function (event) {
    var a = event.target.closest ? event.target.closest("a[href]") : null;
    if (!a || a === link || a.hasAttribute("download") || a.target || event.defaultPrevented || event.button ||
        event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    var url = new URL(a.href, window.location.href);
    if (!inside(url)) { return; }
    event.preventDefault();
    window.location.replace(url.href);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target, url = new URL(form.action, window.location.href);
    if (event.defaultPrevented || !inside(url)) { return; }
    event.preventDefault();
    if ((form.method || "get").toLowerCase() === "get") {
      url.search = new URLSearchParams(new FormData(form)).toString();
      window.location.replace(url.href);
      return;
    }
    fetch(url.href, {method: "POST", body: new FormData(form), credentials: "same-origin"}).then(function (r) {
      if (r.redirected) { window.location.replace(r.url); return; }
      return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () { form.submit(); });
  });
}());
