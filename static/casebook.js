// Casebook enhancements. Searching works without JavaScript; this adds copy buttons and the
// training-pack tray (kept in the browser's localStorage, never sent to the server).
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    document.querySelectorAll("button.copy").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.target);
        field.select();
        var done = function () { button.textContent = "已复制"; };
        if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
        else { document.execCommand("copy"); done(); }
      });
    });
    if (window.CasebookTray) window.CasebookTray.init();
  });
})();
