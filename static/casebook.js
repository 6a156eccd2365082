// Casebook enhancements. Every page works without JavaScript; this adds copy buttons, the
// folding filter panel on phones, highlighting in an opened case, suggestions as you type,
// favourites and saved searches (kept in this browser's localStorage, never sent anywhere)
// and the training-pack tray.
(function () {
  "use strict";
  var FAVS = "casebook.favourites";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // -- copy ---------------------------------------------------------------------------------
  function copyButtons() {
    document.querySelectorAll("button.copy").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = document.getElementById(button.dataset.target).textContent.trim();
        var done = function () { button.textContent = "已复制"; };
        var fallback = function () {
          var area = el("textarea"); area.value = text; document.body.appendChild(area);
          area.select(); document.execCommand("copy"); area.remove(); done();
        };
        if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, fallback); else fallback();
      });
    });
  }

  // -- the filter panel folds on a phone, so the results start near the top -------------------
  function foldFilters() {
    if (!window.matchMedia) return;
    var narrow = window.matchMedia("(max-width: 48rem)");
    document.querySelectorAll("details.filters, details.tools").forEach(function (panel) {
      var apply = function () { panel.open = !narrow.matches; };
      apply();
      if (narrow.addEventListener) narrow.addEventListener("change", apply);
    });
  }

  // -- highlighting the search's words in an opened case -------------------------------------
  function highlight() {
    var article = document.querySelector("article.case[data-highlight]");
    if (!article) return;
    var words = JSON.parse(article.dataset.highlight || "[]");
    if (!words.length) return;
    var pattern = new RegExp(words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("|"), "g");
    var marks = [];
    article.querySelectorAll("h1, .summary, .body").forEach(function (root) {
      var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      var nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      nodes.forEach(function (node) {
        var text = node.nodeValue, last = 0, match, frag = null;
        pattern.lastIndex = 0;
        while ((match = pattern.exec(text))) {
          frag = frag || document.createDocumentFragment();
          frag.appendChild(document.createTextNode(text.slice(last, match.index)));
          var mark = el("mark", { "class": "hl" }, match[0]);
          frag.appendChild(mark); marks.push(mark);
          last = match.index + match[0].length;
        }
        if (frag) { frag.appendChild(document.createTextNode(text.slice(last))); node.parentNode.replaceChild(frag, node); }
      });
    });
    var bar = document.querySelector(".hl-nav");
    if (!bar || !marks.length) return;
    bar.hidden = false;
    var count = bar.querySelector(".hl-count"), current = -1;
    var go = function (step) {
      if (current >= 0) marks[current].classList.remove("hl-current");
      current = (current + step + marks.length) % marks.length;
      var mark = marks[current];
      mark.classList.add("hl-current");
      mark.scrollIntoView({ block: "center" });
      count.textContent = "第 " + (current + 1) + " / " + marks.length + " 处";
    };
    count.textContent = "命中 " + marks.length + " 处";
    bar.querySelector(".hl-prev").addEventListener("click", function () { go(-1); });
    bar.querySelector(".hl-next").addEventListener("click", function () { go(1); });
  }

  // -- suggestions as you type: an ARIA combobox over the site's own /api/suggest ------------
  function suggest(input, index) {
    var box = el("div", { "class": "suggest-box" });
    var focused = document.activeElement === input;
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    if (focused) input.focus();  // moving the box into its wrapper blurs it (autofocus on the home page)
    var list = el("ul", { id: "suggest-" + index, role: "listbox", "class": "suggest-list", "aria-label": "检索建议" });
    list.hidden = true;
    box.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var items = [], active = -1, timer = null, asked = "";

    function close() {
      list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function show(found) {
      items = found; list.textContent = ""; active = -1;
      if (!found.length) { close(); return; }
      found.forEach(function (item, i) {
        var li = el("li", { role: "option", id: list.id + "-" + i, "aria-selected": "false" });
        li.appendChild(el("span", {}, item.label));
        li.appendChild(el("span", { "class": "kind" }, item.kind));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false; input.setAttribute("aria-expanded", "true");
    }
    function mark(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) { li.setAttribute("aria-selected", String(j === i)); });
      if (i >= 0) { input.setAttribute("aria-activedescendant", list.id + "-" + i); list.children[i].scrollIntoView({ block: "nearest" }); }
    }
    function choose(i) {
      var item = items[i];
      close();
      if (item.url) { window.location.href = item.url; return; }
      var words = input.value.split(/\s+/);
      words[words.length - 1] = item.label;
      input.value = words.join(" ") + " ";
      input.focus();
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value;
      if (!q.trim()) { close(); return; }
      timer = setTimeout(function () {
        asked = q;
        fetch("/api/suggest?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (data) {
          if (asked === input.value) show(data.suggestions || []);
        }, close);
      }, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { if (e.key === "ArrowDown" && items.length) { show(items); mark(0); e.preventDefault(); } return; }
      if (e.key === "ArrowDown") { mark((active + 1) % items.length); e.preventDefault(); }
      else if (e.key === "ArrowUp") { mark(active <= 0 ? items.length - 1 : active - 1); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { choose(active); e.preventDefault(); }
      else if (e.key === "Escape") { close(); e.preventDefault(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // -- favourites and saved searches ---------------------------------------------------------
  function favourites() {
    try { return Object.assign({ cases: [], searches: [] }, JSON.parse(localStorage.getItem(FAVS)) || {}); }
    catch (e) { return { cases: [], searches: [] }; }
  }
  function keep(favs) { localStorage.setItem(FAVS, JSON.stringify(favs)); }
  function starButton(button, find, add, label) {
    var paint = function () {
      var on = find(favourites()) >= 0;
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? "★ 已收藏" : "☆ " + label;
    };
    button.hidden = false;
    button.className = (button.className + " star").trim();
    button.addEventListener("click", function () {
      var favs = favourites(), at = find(favs);
      if (at >= 0) add(favs, at); else add(favs, -1);
      keep(favs); paint();
    });
    paint();
  }
  function caseStar(button) {
    var id = button.dataset.id;
    starButton(button, function (f) { return f.cases.findIndex(function (c) { return c.id === id; }); }, function (f, at) {
      if (at >= 0) f.cases.splice(at, 1);
      else f.cases.push({ id: id, title: button.dataset.title, meta: button.dataset.meta || "", added: new Date().toISOString().slice(0, 10) });
    }, "收藏");
  }
  function stars() {
    document.querySelectorAll("button.star[data-id]").forEach(caseStar);
    // Result rows: a star beside each hit (the id and title are on the row already).
    document.querySelectorAll("li.hit").forEach(function (row) {
      var link = row.querySelector("h3 a"), id = row.querySelector(".meta .id");
      if (!link || !id) return;
      var meta = Array.prototype.map.call(row.querySelectorAll(".meta span:not(.id)"), function (s) { return s.textContent.trim(); }).join(" · ");
      var b = el("button", { type: "button", "data-id": id.textContent.trim(), "data-title": link.textContent.trim(), "data-meta": meta });
      row.appendChild(b);
      caseStar(b);
    });
    document.querySelectorAll(".save-search").forEach(function (span) {
      var url = span.dataset.url.replace(/\?$/, "");
      var b = el("button", { type: "button" });
      span.appendChild(document.createTextNode(" · "));
      span.appendChild(b);
      starButton(b, function (f) { return f.searches.findIndex(function (s) { return s.url === url; }); }, function (f, at) {
        if (at >= 0) f.searches.splice(at, 1);
        else f.searches.push({ url: url, label: span.dataset.label, added: new Date().toISOString().slice(0, 10) });
      }, "收藏此检索");
    });
  }
  function csvCell(value) {
    value = String(value);
    // OWASP: a spreadsheet runs a cell starting with = + - @ tab or CR; a leading ' keeps it text.
    if (/^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value)) value = "'" + value;
    return /[",\r\n]/.test(value) ? "\"" + value.replace(/"/g, "\"\"") + "\"" : value;
  }
  function favouritesPage() {
    var root = document.getElementById("favourites");
    if (!root) return;
    var favs = favourites(), tray = window.CasebookTray;
    root.textContent = "";
    root.appendChild(el("h2", {}, "收藏的案例（" + favs.cases.length + "）"));
    if (!favs.cases.length) root.appendChild(el("p", {}, "还没有收藏案例。在案例页或检索结果中点“☆ 收藏”。"));
    var list = el("ul", { "class": "favs" });
    favs.cases.forEach(function (c, i) {
      var li = el("li", {});
      var pick = el("input", { type: "checkbox", "aria-label": "选中 " + c.id });
      pick.checked = true; pick.dataset.id = c.id;
      li.appendChild(pick); li.appendChild(document.createTextNode(" "));
      li.appendChild(el("a", { href: "/cases/" + encodeURIComponent(c.id) }, c.title));
      li.appendChild(el("span", { "class": "meta" }, " " + c.id + (c.meta ? " · " + c.meta : "") + " · 收藏于 " + c.added + " "));
      var drop = el("button", { type: "button", "class": "secondary", "aria-label": "取消收藏 " + c.id }, "取消收藏");
      drop.addEventListener("click", function () { favs.cases.splice(i, 1); keep(favs); favouritesPage(); });
      li.appendChild(drop);
      list.appendChild(li);
    });
    root.appendChild(list);
    var chosen = function () {
      return favs.cases.filter(function (c) { return root.querySelector("input[data-id=\"" + c.id.replace(/"/g, "") + "\"]").checked; });
    };
    if (favs.cases.length) {
      var actions = el("p", { "class": "tray-actions" });
      var add = function (label, fn) { var b = el("button", { type: "button", "class": "secondary" }, label); b.addEventListener("click", fn); actions.appendChild(b); };
      add("导出培训包 YAML", function () {
        var lines = ["title: \"收藏的案例\"", "audience: \"\"", "intro: \"\"", "cases:"];
        chosen().forEach(function (c) { lines.push("  - id: " + c.id + "  # " + c.title); });
        tray.download("favourites.yaml", lines.join("\n") + "\n");
      });
      add("导出 CSV", function () {
        var rows = [["编号", "标题", "类别 · 结果 · 日期", "收藏日期", "链接"]];
        chosen().forEach(function (c) { rows.push([c.id, c.title, c.meta, c.added, location.origin + "/cases/" + encodeURIComponent(c.id)]); });
        tray.download("收藏案例-" + new Date().toISOString().slice(0, 10) + ".csv",
          "\ufeff" + rows.map(function (r) { return r.map(csvCell).join(","); }).join("\r\n") + "\r\n", "text/csv;charset=utf-8");
      });
      add("导出 Word（所选案例全文）", function () {
        var picked = chosen();
        if (!picked.length) return;
        tray.post({ title: "收藏的案例", audience: "", items: picked.map(function (c) { return { id: c.id }; }) }, "trainer", "docx");
      });
      root.appendChild(actions);
    }
    root.appendChild(el("h2", {}, "收藏的检索（" + favs.searches.length + "）"));
    if (!favs.searches.length) root.appendChild(el("p", {}, "还没有收藏检索。在检索结果页点“☆ 收藏此检索”。"));
    var searches = el("ul", { "class": "favs" });
    favs.searches.forEach(function (s, i) {
      var li = el("li", {});
      li.appendChild(el("a", { href: s.url }, s.label));
      li.appendChild(el("span", { "class": "meta" }, " 收藏于 " + s.added + " "));
      var drop = el("button", { type: "button", "class": "secondary", "aria-label": "取消收藏检索 " + (i + 1) }, "取消收藏");
      drop.addEventListener("click", function () { favs.searches.splice(i, 1); keep(favs); favouritesPage(); });
      li.appendChild(drop);
      searches.appendChild(li);
    });
    root.appendChild(searches);
  }

  // -- choose result rows and export the full cases as one Word document ---------------------
  function selection() {
    var rows = document.querySelectorAll("li.hit .tray-add");  // cases only: manuals are not packed
    var toolbar = document.querySelector(".toolbar .exports");
    if (!rows.length || !toolbar || !window.CasebookTray) return;
    var button = el("button", { type: "button", "class": "secondary export-word", disabled: "" }, "导出所选为 Word");
    var picked = function () {
      return Array.prototype.filter.call(document.querySelectorAll("input.pick"), function (c) { return c.checked; });
    };
    var update = function () {
      var n = picked().length;
      button.disabled = !n;
      button.textContent = n ? "导出所选 " + n + " 件为 Word" : "导出所选为 Word";
    };
    rows.forEach(function (add) {
      var label = el("label", { "class": "pick-label" });
      var box = el("input", { type: "checkbox", "class": "pick" });
      box.dataset.id = add.dataset.id;
      box.addEventListener("change", update);
      label.appendChild(box);
      label.appendChild(document.createTextNode(" 选择"));
      add.parentNode.insertBefore(label, add);
    });
    button.addEventListener("click", function () {
      var query = (document.getElementById("q") || {}).value || "";
      var items = picked().map(function (c) { return { id: c.dataset.id }; });
      window.CasebookTray.post({ title: "检索结果" + (query ? "：" + query : ""), audience: "", items: items }, "trainer", "docx");
    });
    toolbar.appendChild(document.createTextNode(" · "));
    toolbar.appendChild(button);
  }

  ready(function () {
    copyButtons();
    foldFilters();
    highlight();
    if (window.fetch) document.querySelectorAll("input.suggest").forEach(suggest);
    if (window.CasebookTray) window.CasebookTray.init();
    stars();
    selection();
    favouritesPage();
  });
})();
