// The report's few behaviours: sortable tables, rows that open their finding or test,
// a timeline mark's trace line on hover or click, and the replay command's copy button.
(function () {
  "use strict";

  function show(section, i, keep) {
    var data = section.querySelector("script.tld");
    var out = section.querySelector("pre.sel");
    if (!data || !out) return;
    if (!data.parsed) data.parsed = JSON.parse(data.textContent);
    var e = data.parsed[i];
    if (!e) return;
    var head = "#" + e.seq + " " + (e.resource || "") + "." + e.op + "(" + e.args + ") -> " + e.result;
    if (e.fault) head += "  [fault: " + e.fault + "]";
    if (e.rule !== undefined) head += "  [rule " + e.rule + "]";
    if (e.time_ns !== undefined) head += "  [t = " + e.time_ns + " ns]";
    out.textContent = head + "\n" + JSON.stringify(e);
    if (keep) {
      section.querySelectorAll(".e.sel").forEach(function (m) { m.classList.remove("sel"); });
      section.querySelectorAll('.e[data-i="' + i + '"]').forEach(function (m) { m.classList.add("sel"); });
      section.dataset.kept = i;
    }
  }

  // A wide timeline opens on its evidence, not on its first calls (once it is shown:
  // a closed <details> has no width yet).
  function focus(section) {
    var wrap = section.querySelector(".tls");
    var band = section.querySelector(".evb");
    if (wrap && band && wrap.scrollWidth > wrap.clientWidth && !section.dataset.focused) {
      section.dataset.focused = "1";
      wrap.scrollLeft = Math.max(0, +band.getAttribute("x") - wrap.clientWidth / 3);
    }
  }
  document.querySelectorAll("details").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (d.open) d.querySelectorAll("div.tl").forEach(focus);
    });
  });
  document.querySelectorAll("div.tl").forEach(function (section) {
    focus(section);
    section.addEventListener("mouseover", function (ev) {
      var m = ev.target.closest && ev.target.closest(".e[data-i]");
      if (m) show(section, +m.dataset.i, false);
    });
    section.addEventListener("mouseleave", function () {
      if (section.dataset.kept !== undefined) show(section, +section.dataset.kept, false);
    });
    section.addEventListener("click", function (ev) {
      var m = ev.target.closest && ev.target.closest(".e[data-i]");
      if (m) show(section, +m.dataset.i, true);
    });
  });

  function cellValue(row, col, numeric) {
    var text = row.children[col] ? row.children[col].textContent.trim() : "";
    return numeric ? parseFloat(text) || 0 : text.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th[data-sort]").forEach(function (th, col) {
      th.addEventListener("click", function () {
        var numeric = th.dataset.sort === "num";
        var asc = !th.classList.contains("asc");
        table.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(asc ? "asc" : "desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, col, numeric), y = cellValue(b, col, numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  function open(id) {
    var target = document.getElementById(id);
    if (!target) return;
    if (target.tagName === "DETAILS") target.open = true;
    target.scrollIntoView({ block: "start" });
  }
  document.querySelectorAll("tr.open[data-target]").forEach(function (row) {
    function go(ev) {
      if (ev.target.closest("a")) return;
      history.replaceState(null, "", "#" + row.dataset.target);
      open(row.dataset.target);
    }
    row.addEventListener("click", go);
    row.addEventListener("keydown", function (ev) { if (ev.key === "Enter") go(ev); });
  });
  if (location.hash.length > 1) open(decodeURIComponent(location.hash.slice(1)));

  function copied(button, ok) {
    button.textContent = ok ? "copied" : "select it and copy";
    setTimeout(function () { button.textContent = "copy"; }, 1500);
  }
  function fallback(code, button) {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    copied(button, ok);
  }
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var code = button.parentNode.querySelector("code");
      var text = code.textContent;
      // A page opened from a file may not be given the clipboard: then select the text.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button, true); },
          function () { fallback(code, button); });
      } else {
        fallback(code, button);
      }
    });
  });
})();
