/* escm-check HTML report: finding filters, expand/collapse, open everything for print.
   Without JavaScript the page shows every row and every control stays hidden. */
(function () {
  "use strict";

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  var form = document.getElementById("filters");
  var table = document.getElementById("findings");
  if (form && table && table.tBodies.length) {
    var rows = table.tBodies[0].rows;
    var count = document.getElementById("filter-count");
    var pick = function (name) {
      var el = form.querySelector("select[name='" + name + "']");
      return el ? el.value : "";
    };
    var apply = function () {
      var severity = pick("severity");
      var rule = pick("rule");
      var practice = pick("practice");
      var shown = 0;
      each(rows, function (row) {
        var ok = (!severity || row.getAttribute("data-severity") === severity) &&
          (!rule || row.getAttribute("data-rule") === rule) &&
          (!practice || row.getAttribute("data-practice") === practice);
        row.hidden = !ok;
        if (ok) {
          shown += 1;
        }
      });
      if (count) {
        count.textContent = shown + " of " + rows.length + " shown";
      }
    };
    form.addEventListener("change", apply);
    form.addEventListener("reset", function () {
      window.setTimeout(apply, 0);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    form.hidden = false;
    apply();
  }

  each(document.querySelectorAll("[data-toggle]"), function (button) {
    var scope = document.getElementById(button.getAttribute("data-scope"));
    var open = button.getAttribute("data-toggle") === "open";
    button.addEventListener("click", function () {
      if (scope) {
        each(scope.querySelectorAll("details"), function (d) {
          d.open = open;
        });
      }
    });
  });
  each(document.querySelectorAll(".tools[hidden]"), function (tools) {
    tools.hidden = false;
  });

  /* Closed details elements do not print; open them for the printout and restore afterwards. */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    each(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) {
      d.open = false;
    });
    opened = [];
  });
}());
