// Paydesk's only script: CSRF header for htmx, and a visible banner when the
// server cannot be reached, so a stale page never passes for a live one.
(function () {
  "use strict";

  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function banner(show) {
    var b = document.getElementById("connection-lost");
    if (b) {
      b.hidden = !show;
    }
  }

  // Every htmx request carries the token; the server refuses state-changing
  // requests without it.
  document.addEventListener("htmx:configRequest", function (evt) {
    var t = csrfToken();
    if (t) {
      evt.detail.headers["X-CSRF-Token"] = t;
    }
  });

  // The network failed: the server was not reached at all.
  document.addEventListener("htmx:sendError", function () {
    banner(true);
  });
  document.addEventListener("htmx:timeout", function () {
    banner(true);
  });

  // An error status. Paydesk's own error answers come as a fragment aimed at
  // #messages (HX-Retarget); anything else (a proxy's 502, a dead upstream)
  // means the live data cannot be trusted.
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (!xhr || !xhr.getResponseHeader("HX-Retarget") || xhr.status >= 502) {
      banner(true);
    }
  });

  // Any answer from the server that is not an error clears the banner.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.status > 0 && xhr.status < 500) {
      if (evt.detail.successful || xhr.getResponseHeader("HX-Retarget")) {
        banner(false);
      }
    }
  });

  // Forms that ask "are you sure?" carry data-confirm; htmx's hx-confirm
  // covers htmx requests, this covers plain forms (no inline handlers: CSP).
  document.addEventListener("submit", function (evt) {
    var f = evt.target;
    var msg = f && f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      evt.preventDefault();
    }
  });

  // Select-all on click for secrets shown once (new API keys, passwords).
  document.addEventListener("click", function (evt) {
    var el = evt.target;
    if (el && el.classList && el.classList.contains("select-all")) {
      var r = document.createRange();
      r.selectNodeContents(el);
      var s = window.getSelection();
      s.removeAllRanges();
      s.addRange(r);
    }
  });
})();
