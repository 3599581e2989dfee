// Small progressive enhancements; every page works without this script.
(function () {
  "use strict";
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
  document.documentElement.classList.add("js");
})();
