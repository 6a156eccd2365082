// The training-pack tray: cases chosen with "加入培训包", kept in this browser only
// (localStorage). It folds to a badge so it never covers the page; opened, it reorders,
// removes, and sets per case a trainee title, notes and discussion questions, then downloads
// YAML (made here) or handouts (built by the server in memory from the posted form).
(function () {
  "use strict";
  var KEY = "casebook.tray";

  function load() {
    var empty = { title: "", audience: "", items: [], open: false };
    try { return Object.assign(empty, JSON.parse(localStorage.getItem(KEY)) || {}); }
    catch (e) { return empty; }
  }
  function save(tray, quiet) { localStorage.setItem(KEY, JSON.stringify(tray)); if (!quiet) render(); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(label, title, onClick) {
    var b = el("button", { type: "button", title: title, "aria-label": title }, label);
    b.className = "secondary";
    b.addEventListener("click", onClick);
    return b;
  }
  function outcomes() {
    return (document.body.dataset.outcomes || "").split(",").filter(Boolean)
      .sort(function (a, b) { return b.length - a.length; });
  }
  // The outcome a trainee title still names (the trainee version must not give it away).
  function giveaway(item) {
    var title = item.trainee || item.title;
    return outcomes().filter(function (o) { return title.indexOf(o) >= 0; })[0] || "";
  }
  function questions(item) {
    return (item.questions || "").split("\n").map(function (q) { return q.trim(); }).filter(Boolean);
  }
  function yaml(tray) {
    var q = function (s) { return JSON.stringify(s); };
    var lines = ["title: " + q(tray.title || "培训包"), "audience: " + q(tray.audience || ""), "intro: \"\"", "cases:"];
    tray.items.forEach(function (item) {
      lines.push("  - id: " + item.id + "  # " + item.title.replace(/\n/g, " "));
      if (item.trainee) lines.push("    title: " + q(item.trainee));
      if (item.notes) lines.push("    notes: " + q(item.notes));
      var qs = questions(item);
      if (qs.length) lines.push("    questions: [" + qs.map(q).join(", ") + "]");
    });
    return lines.join("\n") + "\n";
  }
  function download(name, text, type) {
    var link = el("a", { href: URL.createObjectURL(new Blob([text], { type: type || "text/yaml;charset=utf-8" })), download: name });
    document.body.appendChild(link); link.click(); link.remove();
  }
  function post(tray, edition, format) {
    var form = el("form", { method: "post", action: "/packs/tray", target: format === "docx" ? "_self" : "_blank" });
    var add = function (name, value) { form.appendChild(el("input", { type: "hidden", name: name, value: value || "" })); };
    tray.items.forEach(function (item) {
      add("id", item.id); add("entry_title", item.trainee); add("entry_notes", item.notes);
      add("entry_questions", item.questions);
    });
    add("title", tray.title); add("audience", tray.audience); add("edition", edition); add("format", format);
    document.body.appendChild(form); form.submit(); form.remove();
  }
  function field(label, value, multiline, onChange) {
    var wrap = el("label", {}, label);
    var input = el(multiline ? "textarea" : "input", multiline ? { rows: "2" } : { type: "text" });
    input.value = value || "";
    input.addEventListener("change", function () { onChange(input.value); });
    wrap.appendChild(input);
    return wrap;
  }

  function render() {
    var tray = load();
    var panel = document.getElementById("tray");
    document.querySelectorAll(".tray-add").forEach(function (b) {
      var inTray = tray.items.some(function (i) { return i.id === b.dataset.id; });
      b.textContent = inTray ? "已在培训包中" : "加入培训包";
      b.disabled = inTray;
    });
    document.body.classList.toggle("tray-open", !!tray.items.length);
    if (!tray.items.length) { if (panel) panel.remove(); return; }
    if (!panel) { panel = el("aside", { id: "tray", "aria-label": "培训包" }); document.body.appendChild(panel); }
    panel.textContent = "";
    panel.classList.toggle("collapsed", !tray.open);
    var head = el("div", { "class": "tray-head" });
    var toggle = el("button", { type: "button", "class": "tray-toggle", "aria-expanded": String(tray.open) },
      (tray.open ? "收起培训包" : "培训包") + "（" + tray.items.length + "）");
    toggle.className = "tray-toggle" + (tray.open ? " secondary" : "");
    toggle.addEventListener("click", function () { tray.open = !tray.open; save(tray); document.querySelector("#tray .tray-toggle").focus(); });
    head.appendChild(toggle);
    panel.appendChild(head);
    if (tray.open) renderOpen(panel, tray);
    // Leave room under the page for the tray, so the end of a page can be scrolled into view.
    document.body.style.setProperty("--tray-space", (panel.offsetHeight + 24) + "px");
  }

  function renderOpen(panel, tray) {
    var title = el("input", { type: "text", "aria-label": "培训包标题", placeholder: "培训包标题" });
    title.value = tray.title;
    title.addEventListener("change", function () { tray.title = title.value; save(tray, true); });
    var audience = el("input", { type: "text", "aria-label": "培训对象", placeholder: "培训对象" });
    audience.value = tray.audience;
    audience.addEventListener("change", function () { tray.audience = audience.value; save(tray, true); });
    panel.appendChild(title); panel.appendChild(audience);
    var list = el("ol", {});
    tray.items.forEach(function (item, index) {
      var li = el("li", {});
      li.appendChild(el("span", { "class": "tray-title", title: item.title }, item.trainee || item.title));
      li.appendChild(button("↑", "上移 " + item.id, function () {
        if (index > 0) { tray.items.splice(index - 1, 0, tray.items.splice(index, 1)[0]); save(tray); }
      }));
      li.appendChild(button("↓", "下移 " + item.id, function () {
        if (index < tray.items.length - 1) { tray.items.splice(index + 1, 0, tray.items.splice(index, 1)[0]); save(tray); }
      }));
      li.appendChild(button("×", "移除 " + item.id, function () { tray.items.splice(index, 1); save(tray); }));
      var named = giveaway(item);
      if (named) li.appendChild(el("p", { "class": "warn", role: "note" }, "学员版标题含有处理结果“" + named + "”，请改写学员版标题"));
      var more = el("details", {});
      more.appendChild(el("summary", {}, "学员版标题、讲师提示、讨论题"));
      more.appendChild(field("学员版标题", item.trainee, false, function (v) { item.trainee = v.trim(); save(tray); }));
      more.appendChild(field("讲师提示", item.notes, true, function (v) { item.notes = v.trim(); save(tray, true); }));
      more.appendChild(field("讨论题（每行一题）", item.questions, true, function (v) { item.questions = v; save(tray, true); }));
      if (named) more.open = true;
      li.appendChild(more);
      list.appendChild(li);
    });
    panel.appendChild(list);
    var actions = el("p", { "class": "tray-actions" });
    actions.appendChild(button("下载 YAML", "下载培训包 YAML 文件", function () { download("training-pack.yaml", yaml(tray)); }));
    actions.appendChild(button("讲师版", "讲师版讲义（HTML）", function () { post(tray, "trainer", "html"); }));
    actions.appendChild(button("学员版", "学员版讲义（HTML）", function () { post(tray, "trainee", "html"); }));
    actions.appendChild(button("讲师版 DOCX", "讲师版讲义（Word）", function () { post(tray, "trainer", "docx"); }));
    actions.appendChild(button("学员版 DOCX", "学员版讲义（Word）", function () { post(tray, "trainee", "docx"); }));
    actions.appendChild(button("清空", "清空培训包", function () { localStorage.removeItem(KEY); render(); }));
    panel.appendChild(actions);
  }

  window.CasebookTray = {
    init: function () {
      // On a phone every page starts with the tray folded: an open panel would cover the page.
      var tray = load();
      if (tray.open && window.matchMedia && window.matchMedia("(max-width: 48rem)").matches) { tray.open = false; save(tray, true); }
      document.querySelectorAll(".tray-add").forEach(function (b) {
        b.hidden = false;
        b.addEventListener("click", function () {
          var tray = load();
          if (!tray.items.some(function (i) { return i.id === b.dataset.id; })) {
            tray.items.push({ id: b.dataset.id, title: b.dataset.title, trainee: "", notes: "", questions: "" });
            save(tray);
          }
        });
      });
      render();
    },
    yaml: function () { return yaml(load()); },
    post: post,
    download: download
  };
})();
