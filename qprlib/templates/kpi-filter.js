// The KPI tables' filter and sort (issue 17), inlined into HTML pages by qpr.lua when a
// table carries KPI cells (tables.kpi_cells: <span class="kpi" data-rag=...>). Without
// JavaScript nothing here runs and every KPI is shown. No file is fetched: all is inline.
(function () {
  "use strict";
  var FILTERS = [
    ["directorate", "Directorate"],
    ["area", "Service area"],
    ["rag", "RAG rating"],
    ["direction", "Direction of travel"],
    ["callIn", "Call-in"]
  ];
  var CALL_IN = { yes: "On the call-in list", no: "Not on the call-in list" };

  function slug(text) {
    return text.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  }

  function camel(text) {
    return text.replace(/-([a-z0-9])/g, function (_m, c) { return c.toUpperCase(); });
  }

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }

  function enhance(table, number) {
    var bodies = Array.prototype.slice.call(table.tBodies); // one per service area, or one
    if (!bodies.length) { return; }
    var all = [];
    bodies.forEach(function (b) { all = all.concat(Array.prototype.slice.call(b.rows)); });
    var rows = all.filter(function (r) { return r.querySelector("span.kpi[data-rag]"); });
    if (!rows.length) { return; }
    var others = all.filter(function (r) { return rows.indexOf(r) < 0; }); // group headings
    var home = new Map(all.map(function (r) { return [r, r.parentNode]; }));
    var data = new Map(rows.map(function (r) { return [r, r.querySelector("span.kpi").dataset]; }));
    var id = (table.id || "kpi-table-" + number) + "-filter";

    var box = document.createElement("div");
    box.className = "kpi-filter";
    var group = document.createElement("fieldset");
    var legend = document.createElement("legend");
    legend.textContent = "Show only the KPIs";
    group.appendChild(legend);
    var selects = {};
    FILTERS.forEach(function (f) {
      var key = f[0];
      var values = [];
      rows.forEach(function (r) {
        var v = data.get(r)[key];
        if (v && values.indexOf(v) < 0) { values.push(v); }
      });
      if (values.length < 2) { return; } // one directorate (a dashboard): nothing to choose
      var field = document.createElement("div");
      field.className = "kpi-filter-field";
      var label = document.createElement("label");
      label.htmlFor = id + "-" + key;
      label.textContent = f[1];
      var select = document.createElement("select");
      select.id = id + "-" + key;
      option(select, "", "All");
      values.forEach(function (v) { option(select, v, key === "callIn" ? CALL_IN[v] || v : v); });
      select.addEventListener("change", update);
      field.appendChild(label);
      field.appendChild(select);
      group.appendChild(field);
      selects[key] = select;
    });
    var reset = document.createElement("button");
    reset.type = "button";
    reset.textContent = "Show every KPI";
    reset.addEventListener("click", function () {
      Object.keys(selects).forEach(function (k) { selects[k].value = ""; });
      sortBy(null);
      update();
    });
    group.appendChild(reset);
    box.appendChild(group);
    var status = document.createElement("p");
    status.className = "kpi-filter-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    box.appendChild(status);
    var wrap = table.closest(".table-wrap") || table;
    wrap.parentNode.insertBefore(box, wrap);

    var heads = Array.prototype.slice.call(table.tHead ? table.tHead.rows[0].cells : []);
    var order = { index: -1, ascending: true };
    heads.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kpi-sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      var hint = document.createElement("span");
      hint.className = "kpi-sort-hint";
      hint.setAttribute("aria-hidden", "true");
      button.appendChild(hint);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        sortBy(index, order.index === index ? !order.ascending : true);
        update();
      });
    });

    function key(row, index) {
      var name = "sort" + camel("-" + slug(heads[index].textContent));
      var given = data.get(row)[name];
      if (given !== undefined) { return given === "" ? null : Number(given); }
      return row.cells[index] ? row.cells[index].textContent.trim() : "";
    }

    function sortBy(index, ascending) {
      order = { index: index === null ? -1 : index, ascending: ascending !== false };
      heads.forEach(function (th, i) {
        th.setAttribute("aria-sort", i === order.index
          ? (order.ascending ? "ascending" : "descending") : "none");
        th.querySelector(".kpi-sort-hint").textContent = i === order.index
          ? (order.ascending ? " \u25B2" : " \u25BC") : "";
      });
      if (index === null) { // back to the page's own order, each row in its own group
        all.forEach(function (r) { home.get(r).appendChild(r); });
        return;
      }
      var sorted = rows.slice().sort(function (a, b) {
        var x = key(a, index), y = key(b, index);
        if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); } // no data last
        var c = typeof x === "number" && typeof y === "number" ? x - y
          : String(x).localeCompare(String(y), "en-GB", { numeric: true });
        return order.ascending ? c : -c;
      });
      sorted.forEach(function (r) { bodies[0].appendChild(r); }); // one list while sorted
    }

    function update() {
      var shown = 0;
      rows.forEach(function (r) {
        var d = data.get(r);
        var keep = Object.keys(selects).every(function (k) {
          return !selects[k].value || d[k] === selects[k].value;
        });
        r.hidden = !keep;
        if (keep) { shown += 1; }
      });
      others.forEach(function (r) { // a group's heading while it has KPIs shown, unsorted
        var group = r.parentNode;
        r.hidden = order.index >= 0 || !rows.some(function (k) {
          return !k.hidden && k.parentNode === group;
        });
      });
      status.textContent = shown + " of " + rows.length + " KPIs shown";
    }
    update();
  }

  function start() {
    Array.prototype.slice.call(document.querySelectorAll("table")).forEach(enhance);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
