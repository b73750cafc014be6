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
  // A live region's background poll (data-live) says so: it is not a
  // person's activity, so a page left open still idles out.
  document.addEventListener("htmx:configRequest", function (evt) {
    var t = csrfToken();
    if (t) {
      evt.detail.headers["X-CSRF-Token"] = t;
    }
    var elt = evt.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-live")) {
      evt.detail.headers["X-Paydesk-Poll"] = "1";
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

  // Relative hints ("3 min ago") are computed by the server on its clock
  // (data-now, Unix ms, at render). While the page stays open they move on
  // from there, so an old "just now" never passes for a fresh one. The
  // wording matches the server's (handlers.relTime).
  function relative(at, now) {
    var d = now - at;
    var future = d < 0;
    if (future) {
      d = -d;
    }
    var s;
    if (d < 5000) {
      return "just now";
    } else if (d < 60000) {
      s = Math.floor(d / 1000) + " s";
    } else if (d < 3600000) {
      s = Math.floor(d / 60000) + " min";
    } else if (d < 48 * 3600000) {
      s = Math.floor(d / 3600000) + " h";
    } else if (d < 30 * 86400000) {
      s = Math.floor(d / 86400000) + " d";
    } else {
      return "";
    }
    return future ? "in " + s : s + " ago";
  }

  // seen notes when each hint arrived, for the time elapsed since.
  function seen(root) {
    root = root || document;
    if (!root.querySelectorAll) {
      return;
    }
    var t = Date.now();
    var els = root.querySelectorAll(".ago[data-now]");
    for (var i = 0; i < els.length; i++) {
      if (!els[i].hasAttribute("data-seen")) {
        els[i].setAttribute("data-seen", String(t));
      }
    }
  }

  function tick() {
    seen(document);
    var els = document.querySelectorAll(".ago[data-now][data-at]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var at = Date.parse(el.getAttribute("data-at"));
      var now = Number(el.getAttribute("data-now")) + (Date.now() - Number(el.getAttribute("data-seen")));
      if (!isNaN(at) && !isNaN(now)) {
        el.textContent = relative(at, now);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    seen(document);
  });
  document.addEventListener("htmx:load", function (evt) {
    seen(evt.detail && evt.detail.elt);
  });
  window.setInterval(tick, 15000);

  // "Full amount" buttons fill their amount field (data-fill-target, the
  // field's id) with the maximum (data-fill-value); the field starts empty
  // so that the maximum is never one click away by accident.
  document.addEventListener("click", function (evt) {
    var b = evt.target && evt.target.closest && evt.target.closest("[data-fill-target]");
    if (!b) {
      return;
    }
    var field = document.getElementById(b.getAttribute("data-fill-target"));
    if (field) {
      field.value = b.getAttribute("data-fill-value") || "";
      field.focus();
    }
  });

  // The browser's time zone (an IANA name): the login form sends it so a
  // user's first sign-in sets their preference (the server validates it and
  // keeps an existing one); the Account page offers it as a one-click fill.
  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var tz = browserZone();
    if (!tz) {
      return;
    }
    var fields = document.querySelectorAll("input[data-browser-zone-field]");
    for (var i = 0; i < fields.length; i++) {
      fields[i].value = tz;
    }
    var buttons = document.querySelectorAll("[data-browser-zone]");
    for (var j = 0; j < buttons.length; j++) {
      buttons[j].setAttribute("data-fill-value", tz);
      buttons[j].textContent = "Use this browser's zone (" + tz + ")";
      buttons[j].hidden = false;
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

// ---- Copy buttons (issue 11, front) ----
// A button with data-copy puts its value on the clipboard: the Clipboard
// API where the page may use it (HTTPS, localhost), else the ID beside it is
// selected and copied the old way, or left selected for Ctrl+C. The button
// says what happened for two seconds and a polite live region announces it.
(function () {
  "use strict";

  // Cleared first, then set on the next frame: a second "Copied" is the
  // same text, which screen readers would not read again otherwise.
  function announce(msg) {
    var r = document.getElementById("copy-status");
    if (r) {
      r.textContent = "";
      window.requestAnimationFrame(function () { r.textContent = msg; });
    }
  }

  function show(b, state) {
    var l = b.querySelector(".copy-label");
    b.classList.remove("copied", "selected");
    if (state) {
      b.classList.add(state);
    }
    if (l) {
      l.textContent = state === "copied" ? "Copied" : state === "selected" ? "Selected" : "Copy";
    }
  }

  function done(b, state) {
    show(b, state);
    announce(state === "copied" ? "Copied" : "Selected: press Ctrl+C to copy");
    window.clearTimeout(b.copyTimer);
    b.copyTimer = window.setTimeout(function () {
      show(b, "");
    }, 2000);
  }

  // selectBeside selects the text the button stands beside (the ID, the
  // page's heading, the secret) and tries the pre-Clipboard-API copy.
  function selectBeside(b) {
    var target = b.previousElementSibling;
    if (!target) {
      return "selected";
    }
    var r = document.createRange();
    r.selectNodeContents(target);
    var s = window.getSelection();
    s.removeAllRanges();
    s.addRange(r);
    try {
      if (document.execCommand("copy")) {
        return "copied";
      }
    } catch (e) {
      // Not allowed here: the selection stays for Ctrl+C.
    }
    return "selected";
  }

  document.addEventListener("click", function (evt) {
    var b = evt.target && evt.target.closest && evt.target.closest("button[data-copy]");
    if (!b) {
      return;
    }
    var v = b.getAttribute("data-copy") || "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(v).then(function () {
        done(b, "copied");
      }, function () {
        done(b, selectBeside(b));
      });
    } else {
      done(b, selectBeside(b));
    }
  });
})();

// ---- The narrow-screen menu (issue 11, front) ----
// The menu is a <details>, so it opens and closes without this script;
// this only adds what people expect of a menu: Escape closes it (focus back
// on its button) and so does a click anywhere outside it.
(function () {
  "use strict";

  function openMenus() {
    return document.querySelectorAll("details.nav-menu[open]");
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") {
      return;
    }
    var ms = openMenus();
    for (var i = 0; i < ms.length; i++) {
      ms[i].open = false;
      var s = ms[i].querySelector("summary");
      if (s) {
        s.focus();
      }
    }
  });

  document.addEventListener("click", function (evt) {
    var ms = openMenus();
    for (var i = 0; i < ms.length; i++) {
      if (!ms[i].contains(evt.target)) {
        ms[i].open = false;
      }
    }
  });
})();
