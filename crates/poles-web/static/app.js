// Small progressive enhancements; every page works without this script.
(function () {
  "use strict";
  // A table or box that scrolls sideways (on a phone) can be scrolled with the keyboard.
  document.querySelectorAll("table, .table-box").forEach(function (el) {
    if (el.scrollWidth > el.clientWidth) el.tabIndex = 0;
  });
  // A file chosen fills the text box it names (a list to import), read here in the browser.
  document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
    var box = document.getElementById(input.dataset.fills);
    if (!box || !window.FileReader) return;
    input.addEventListener("change", function () {
      var f = input.files && input.files[0];
      if (!f) return;
      var r = new FileReader();
      r.onload = function () { box.value = r.result; };
      r.readAsText(f);
    });
  });
  // Filters submit as soon as a select changes.
  document.querySelectorAll("select.autosubmit").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  // A tooltip that follows the pointer over map markers, and table rows that light up
  // their cluster's marker.
  var tip = document.createElement("div");
  tip.id = "map-tip";
  document.body.appendChild(tip);
  document.querySelectorAll("svg.map a.marker-link").forEach(function (a) {
    var title = a.querySelector("title");
    a.addEventListener("mousemove", function (e) {
      tip.textContent = title ? title.textContent : "";
      tip.style.left = (e.clientX + 12) + "px";
      tip.style.top = (e.clientY + 12) + "px";
      tip.style.display = "block";
    });
    a.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  });
  document.querySelectorAll("tr.cluster-row").forEach(function (row) {
    var marker = document.querySelector('svg.map a[data-slug="' + row.dataset.slug + '"] circle');
    if (!marker) return;
    row.addEventListener("mouseenter", function () { marker.classList.add("active"); });
    row.addEventListener("mouseleave", function () { marker.classList.remove("active"); });
  });
  // Name pickers: suggestions as one types, rendered by the server (/suggest/{kind}); a
  // choice fills the name and its value. Without this script the server resolves the typed
  // name when the form is sent.
  document.querySelectorAll(".picker").forEach(function (box) {
    var input = box.querySelector('input[type="text"]');
    var hidden = box.querySelector('input[type="hidden"]');
    if (!input) return;
    var list = document.createElement("div");
    list.className = "suggest-box";
    box.appendChild(list);
    var timer = null, seq = 0;
    input.addEventListener("input", function () {
      if (hidden) hidden.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { list.textContent = ""; return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/suggest/" + box.dataset.kind + "?q=" + encodeURIComponent(q) + "&lang=" + document.documentElement.lang,
              { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) { if (mine === seq) list.innerHTML = html; })
          .catch(function () { list.textContent = ""; });
      }, 200);
    });
    list.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-value]");
      if (!b) return;
      input.value = b.dataset.label;
      if (hidden) hidden.value = b.dataset.value;
      list.textContent = "";
      input.focus();
    });
  });
  // A document to attach (a candidacy's PDF) is sent as it is, to the API the form names,
  // with the session's CSRF token; the page then shows it, or the refusal beside the field.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = form.querySelector("input[type=file]");
      var note = form.querySelector(".upload-error");
      var f = input && input.files && input.files[0];
      if (!f) return;
      var csrf = form.querySelector('input[name="csrf"]').value;
      fetch(form.dataset.upload + "?name=" + encodeURIComponent(f.name), {
        method: "POST", credentials: "same-origin", body: f,
        headers: { "content-type": "application/pdf", "x-csrf-token": csrf }
      }).then(function (r) {
        if (r.ok) { window.location.reload(); return null; }
        return r.json().then(function (b) {
          note.textContent = (b && b.error && b.error.message) || String(r.status);
          note.hidden = false;
          input.setAttribute("aria-invalid", "true");
        });
      }).catch(function () { note.textContent = form.dataset.failed || "upload failed"; note.hidden = false; });
    });
  });
  document.documentElement.classList.add("js");
})();
