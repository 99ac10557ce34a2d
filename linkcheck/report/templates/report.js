(function () {
  "use strict";
  // Status filters: rows carry data-status; a claim with no visible row is hidden with them.
  // The state lives in the URL hash (#filter=broken,blocked) so a filtered view can be shared.
  var form = document.getElementById("filters");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[data-filter]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll(".row[data-status]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".claim, .unclaimed"));
  var quiet = ["ok", "skipped", "unchecked"];

  function apply() {
    var on = {};
    boxes.forEach(function (box) { on[box.value] = box.checked; });
    var count = 0;
    rows.forEach(function (row) {
      var visible = on[row.getAttribute("data-status")] !== false;
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = group.querySelector(".row:not([hidden])") === null;
    });
    shown.textContent = String(count);
    none.hidden = count > 0 || rows.length === 0;
  }

  function save() {
    var all = boxes.every(function (box) { return box.checked; });
    var checked = boxes.filter(function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    try {
      history.replaceState(null, "", all ? location.pathname : "#filter=" + checked.join(","));
    } catch (e) { /* some file:// contexts refuse; the filter still works */ }
  }

  function load() {
    var match = /(?:^#|&)filter=([^&]*)/.exec(location.hash);
    if (!match) { return; }
    var wanted = decodeURIComponent(match[1]).split(",");
    boxes.forEach(function (box) { box.checked = wanted.indexOf(box.value) !== -1; });
  }

  form.addEventListener("change", function () { apply(); save(); });
  form.addEventListener("click", function (event) {
    var preset = event.target.getAttribute && event.target.getAttribute("data-preset");
    if (!preset) { return; }
    boxes.forEach(function (box) {
      box.checked = preset === "all" || quiet.indexOf(box.value) === -1;
    });
    apply();
    save();
  });
  window.addEventListener("hashchange", function () { load(); apply(); });
  form.hidden = false;
  load();
  apply();
}());
