/* Offline search for a Casebook pack: every word typed must occur in a case (substring match).
   Text and query are folded the same way first: NFKC, lower case, and the pack's own
   traditional-to-simplified map (#fold-map), so 快遞 finds 快递 and ＥＭＳ finds EMS. */
(function () {
  "use strict";
  var MAP = JSON.parse(document.getElementById("fold-map").textContent);
  var input = document.getElementById("q");
  var count = document.getElementById("count");
  var none = document.getElementById("none");
  var cases = Array.prototype.slice.call(document.querySelectorAll("article.case"));
  var toc = cases.map(function (c) {
    return document.querySelector('.toc li[data-case="' + c.getAttribute("data-case") + '"]');
  });

  // Fold one UTF-16 unit at a time, so folded text keeps the original's offsets.
  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i += 1) {
      var c = text.charAt(i);
      var code = c.charCodeAt(0);
      var f = MAP[c];
      if (f === undefined) {
        f = code >= 0xd800 && code <= 0xdfff ? c : c.normalize("NFKC").toLowerCase();
        if (f.length !== 1) f = c;
      }
      out += f;
    }
    return out;
  }

  var texts = cases.map(function (c) { return fold(c.textContent); });

  function words(query) {
    return fold(query).split(/\s+/).filter(function (w) { return w.length > 0; });
  }

  function clear(root) {
    Array.prototype.slice.call(root.querySelectorAll("mark")).forEach(function (m) {
      m.parentNode.replaceChild(document.createTextNode(m.textContent), m);
    });
    root.normalize();
  }

  function highlight(root, found) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var folded = fold(node.data);
      var spans = [];
      found.forEach(function (w) {
        for (var at = folded.indexOf(w); at >= 0; at = folded.indexOf(w, at + w.length)) {
          spans.push([at, at + w.length]);
        }
      });
      if (!spans.length) return;
      spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
      var fragment = document.createDocumentFragment();
      var done = 0;
      spans.forEach(function (s) {
        if (s[1] <= done) return;
        var start = Math.max(s[0], done);
        fragment.appendChild(document.createTextNode(node.data.slice(done, start)));
        var m = document.createElement("mark");
        m.textContent = node.data.slice(start, s[1]);
        fragment.appendChild(m);
        done = s[1];
      });
      fragment.appendChild(document.createTextNode(node.data.slice(done)));
      node.parentNode.replaceChild(fragment, node);
    });
  }

  function run() {
    var found = words(input.value);
    var shown = 0;
    cases.forEach(function (c, i) {
      clear(c);
      var hit = found.every(function (w) { return texts[i].indexOf(w) >= 0; });
      c.hidden = !hit;
      if (toc[i]) toc[i].hidden = !hit;
      c.classList.toggle("hit", hit && found.length > 0);
      if (hit) {
        shown += 1;
        if (found.length) highlight(c, found);
      }
    });
    count.textContent = found.length ? "找到 " + shown + " 个案例" : "共 " + cases.length + " 个案例";
    none.hidden = shown > 0;
  }

  input.addEventListener("input", run);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      input.value = "";
      run();
    }
  });
  if (input.value) run(); // a browser may restore the query on reload
})();
