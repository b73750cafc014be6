// Live changes you notice: when an htmx live poll (an element with
// data-live) replaces its region, what changed is briefly highlighted,
// changes out of view are counted in an "N updated" button that scrolls to
// them, and a short sentence is announced to screen readers. No inline
// script or style (CSP): classes only, styled in app.css.
(function () {
  "use strict";

  // Keyed elements are compared between the old and the new region: by
  // data-row-key, else id, else a data-testid that is unique in the region.
  // Each is compared on its own text (keyed descendants and the relative
  // "3 min ago" hints, which move on every render, left out) and its
  // data-version when it has one.
  function keyedIn(root) {
    var counts = {};
    var tids = root.querySelectorAll("[data-testid]");
    for (var i = 0; i < tids.length; i++) {
      var t = tids[i].getAttribute("data-testid");
      counts[t] = (counts[t] || 0) + 1;
    }
    var out = {};
    var all = [root].concat(Array.prototype.slice.call(root.querySelectorAll("[data-row-key],[id],[data-testid],tbody > tr")));
    for (var j = 0; j < all.length; j++) {
      var k = keyOf(all[j], counts);
      if (k) {
        out[k] = all[j];
      }
    }
    return { map: out, counts: counts };
  }

  function keyOf(el, counts) {
    if (el.hasAttribute("data-row-key")) {
      return "row:" + el.getAttribute("data-row-key");
    }
    if (el.id) {
      return "id:" + el.id;
    }
    var t = el.getAttribute("data-testid");
    if (t && counts[t] === 1) {
      return "tid:" + t;
    }
    return rowKey(el);
  }

  // rowKey keys a table body row without an id by its table and its first
  // cell (a capture's captureId, a refund's refundId).
  function rowKey(el) {
    if (el.tagName !== "TR" || !el.parentElement || el.parentElement.tagName !== "TBODY" || !el.cells.length) {
      return "";
    }
    var table = el.closest("table");
    var tk = table ? table.id || table.getAttribute("data-testid") || "" : "";
    return "tr:" + tk + "|" + stableText(el.cells[0]).replace(/\s+/g, " ").trim();
  }

  // stableText is an element's text without the relative hints.
  function stableText(el) {
    var s = "";
    for (var n = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) {
        s += n.nodeValue;
      } else if (n.nodeType === 1 && !n.classList.contains("ago")) {
        s += " " + stableText(n);
      }
    }
    return s;
  }

  function isKeyed(el, counts) {
    return keyOf(el, counts) !== "";
  }

  // ownText is the element's text without keyed descendants and hints.
  function ownText(el, counts) {
    var s = "";
    for (var n = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) {
        s += n.nodeValue;
      } else if (n.nodeType === 1) {
        if (n.classList.contains("ago") || isKeyed(n, counts)) {
          continue;
        }
        s += " " + ownText(n, counts);
      }
    }
    return s;
  }

  function signature(el, counts) {
    return (el.getAttribute("data-version") || "") + "|" + ownText(el, counts).replace(/\s+/g, " ").trim();
  }

  // snapshot is the region's keyed signatures, and each row's status words
  // (for announcing a status change).
  function snapshot(root) {
    var k = keyedIn(root);
    var sigs = {};
    var status = {};
    for (var key in k.map) {
      sigs[key] = signature(k.map[key], k.counts);
      if (k.map[key].tagName === "TR") {
        status[key] = textOf(k.map[key], "row-status");
      }
    }
    return { sigs: sigs, status: status };
  }

  // changedIn compares the new region with the old snapshot. all is every
  // keyed element that is new or whose own text changed; shown is what is
  // highlighted: a new element only when no ancestor is new too (a new
  // form, not each of its fields), and a changed container (two keyed
  // elements or more inside) only when nothing inside it changed (its
  // changes are shown where they are). The region itself never is.
  function changedIn(root, before) {
    var k = keyedIn(root);
    var all = [];
    var inAll = new Set();
    var isNew = new Set();
    for (var key in k.map) {
      var el = k.map[key];
      if (el === root) {
        continue;
      }
      if (!(key in before)) {
        isNew.add(el);
      } else if (before[key] === signature(el, k.counts)) {
        continue;
      }
      all.push({ key: key, el: el });
      inAll.add(el);
    }
    var shown = all.filter(function (c) {
      if (isNew.has(c.el)) {
        for (var a = c.el.parentElement; a && a !== root; a = a.parentElement) {
          if (isNew.has(a)) {
            return false;
          }
        }
        return true;
      }
      var inside = 0;
      var changedInside = false;
      for (var key in k.map) {
        var d = k.map[key];
        if (d !== c.el && c.el.contains(d)) {
          inside++;
          changedInside = changedInside || inAll.has(d);
        }
      }
      return !(inside >= 2 && changedInside);
    });
    return { all: all, shown: shown };
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function highlight(el) {
    el.classList.add("live-changed");
    el.setAttribute("data-live-changed", "1");
    window.setTimeout(function () {
      el.classList.remove("live-changed");
    }, 3000);
  }

  // ---- announcements ----

  var announcer = null;
  function announce(msg) {
    if (!announcer || !msg) {
      return;
    }
    // Cleared first so that the same sentence twice is read twice.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = msg;
    }, 60);
  }

  function textOf(root, testid) {
    var el = root.querySelector('[data-testid="' + testid + '"]');
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  // sentence says what changed in a few words: "Payment now Captured",
  // "pay_1 now Refunded", "pay_1 now Captured; 2 more payments updated",
  // "3 payments updated".
  function sentence(kind, root, changed, oldStatus) {
    if (kind === "payment") {
      return paymentSentence(root, changed);
    }
    var rows = changed.filter(function (c) {
      return c.el.tagName === "TR";
    });
    if (rows.length === 0) {
      return "";
    }
    var noun = kind === "payments" ? "payments" : "rows";
    var moved = rows.filter(function (c) {
      var now = textOf(c.el, "row-status");
      return now !== "" && now !== oldStatus[c.key];
    });
    var name = function (c) {
      return c.el.getAttribute("data-payment-request-id") || "a row";
    };
    if (moved.length === 1) {
      var s = name(moved[0]) + " now " + textOf(moved[0].el, "row-status");
      return rows.length > 1 ? s + "; " + (rows.length - 1) + " more " + noun + " updated" : s;
    }
    if (moved.length > 1) {
      return moved.length + " " + noun + " changed status" + (rows.length > moved.length ? ", " + (rows.length - moved.length) + " more updated" : "");
    }
    return rows.length === 1 ? name(rows[0]) + " updated" : rows.length + " " + noun + " updated";
  }

  // paymentSentence announces what matters on a payment page: its status,
  // else the captured or refunded amount, else a new capture or refund.
  // Timeline entries alone (an inquiry every few seconds) are not read out.
  function paymentSentence(root, changed) {
    var keys = {};
    for (var i = 0; i < changed.length; i++) {
      keys[changed[i].key] = changed[i].el;
    }
    if (keys["tid:status-badge"]) {
      return "Payment now " + textOf(root, "status-badge");
    }
    var counts = keyedIn(root).counts;
    var amount = function (el) {
      return ownText(el, counts).replace(/\s+/g, " ").trim();
    };
    if (keys["tid:refunded"]) {
      return "Refunded now " + amount(keys["tid:refunded"]);
    }
    if (keys["tid:captured"]) {
      return "Captured now " + amount(keys["tid:captured"]);
    }
    for (var k in keys) {
      if (keys[k].tagName !== "TR") {
        continue;
      }
      if (k.indexOf("id:refund-") === 0) {
        return "Refund updated";
      }
      if (k.indexOf("id:capture-") === 0) {
        return "Capture updated";
      }
    }
    return "";
  }

  // ---- the "N updated" notice for changes out of view ----

  var notice = null;
  var unseen = [];

  function findByKey(key) {
    var i = key.indexOf(":");
    var kind = key.slice(0, i);
    var v = key.slice(i + 1);
    var esc = window.CSS && CSS.escape ? CSS.escape(v) : v.replace(/["\\]/g, "\\$&");
    if (kind === "row") {
      return document.querySelector('[data-row-key="' + esc + '"]');
    }
    if (kind === "tr") {
      var rows = document.querySelectorAll("tbody > tr");
      for (var r = 0; r < rows.length; r++) {
        if (rowKey(rows[r]) === key) {
          return rows[r];
        }
      }
      return null;
    }
    if (kind === "id") {
      return document.getElementById(v);
    }
    return document.querySelector('[data-testid="' + esc + '"]');
  }

  function offScreen(el) {
    var r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) {
      return false; // not rendered (a folded entry): nothing to scroll to
    }
    return r.top >= window.innerHeight || r.bottom <= 0;
  }

  // refresh keeps only the changes still out of view and shows their count.
  function refresh() {
    if (!notice) {
      return;
    }
    var still = [];
    for (var i = 0; i < unseen.length; i++) {
      var el = findByKey(unseen[i]);
      if (el && offScreen(el)) {
        still.push(unseen[i]);
      }
    }
    unseen = still;
    if (unseen.length === 0) {
      notice.hidden = true;
      return;
    }
    notice.textContent = unseen.length + " updated " + (below() ? "↓" : "↑");
    notice.setAttribute("aria-label", unseen.length + " updated out of view: show");
    notice.hidden = false;
  }

  function first() {
    var els = unseen.map(findByKey).filter(Boolean);
    els.sort(function (a, b) {
      return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    return els[0] || null;
  }

  function below() {
    var el = first();
    return !el || el.getBoundingClientRect().top >= window.innerHeight;
  }

  var pending = false;
  function refreshSoon() {
    if (pending) {
      return;
    }
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      refresh();
    });
  }

  // ---- htmx wiring ----

  // Before a live region is replaced: remember its keyed elements. After
  // the swap settles, compare the region that took its place.
  var before = {};
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var t = evt.detail.target;
    if (!evt.detail.shouldSwap || !t || !t.id || !t.hasAttribute("data-live")) {
      return;
    }
    before[t.id] = { kind: t.getAttribute("data-live"), snap: snapshot(t) };
  });

  document.addEventListener("htmx:afterSettle", function () {
    for (var id in before) {
      var b = before[id];
      var root = document.getElementById(id);
      delete before[id];
      if (!root) {
        continue;
      }
      var changed = changedIn(root, b.snap.sigs);
      if (changed.shown.length === 0) {
        continue;
      }
      for (var i = 0; i < changed.shown.length; i++) {
        var c = changed.shown[i];
        highlight(c.el);
        if (offScreen(c.el) && unseen.indexOf(c.key) < 0) {
          unseen.push(c.key);
        }
      }
      announce(sentence(b.kind, root, changed.all, b.snap.status));
      refresh();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-live]")) {
      return;
    }
    announcer = document.createElement("div");
    announcer.className = "visually-hidden";
    announcer.id = "live-announcer";
    announcer.setAttribute("role", "status");
    announcer.setAttribute("aria-live", "polite");
    announcer.setAttribute("data-testid", "live-announcer");
    document.body.appendChild(announcer);

    notice = document.createElement("button");
    notice.type = "button";
    notice.className = "live-updates";
    notice.hidden = true;
    notice.setAttribute("data-testid", "live-updates");
    notice.addEventListener("click", function () {
      var el = first();
      if (el) {
        el.scrollIntoView({ block: "center", behavior: reducedMotion() ? "auto" : "smooth" });
        if (!el.hasAttribute("tabindex")) {
          el.setAttribute("tabindex", "-1");
        }
        el.focus({ preventScroll: true });
        highlight(el);
      }
      unseen = [];
      notice.hidden = true;
    });
    var main = document.getElementById("main") || document.body;
    main.insertBefore(notice, main.firstChild);

    window.addEventListener("scroll", refreshSoon, { passive: true });
    window.addEventListener("resize", refreshSoon);
  });
})();
