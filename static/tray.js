// The training-pack tray: cases chosen with "加入培训包", kept in this browser only
// (localStorage). Reorder, remove, then download YAML (made here) or handouts (built by the
// server in memory from the posted ids; nothing is stored there).
(function () {
  "use strict";
  var KEY = "casebook.tray";

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || { title: "", audience: "", items: [] }; }
    catch (e) { return { title: "", audience: "", items: [] }; }
  }
  function save(tray) { localStorage.setItem(KEY, JSON.stringify(tray)); render(); }
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
  function yaml(tray) {
    var q = function (s) { return JSON.stringify(s); };
    var lines = ["title: " + q(tray.title || "培训包"), "audience: " + q(tray.audience || ""), "intro: \"\"", "cases:"];
    tray.items.forEach(function (item) { lines.push("  - id: " + item.id + "  # " + item.title.replace(/\n/g, " ")); });
    return lines.join("\n") + "\n";
  }
  function download(name, text) {
    var link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/yaml;charset=utf-8" })), download: name });
    document.body.appendChild(link); link.click(); link.remove();
  }
  function post(tray, edition, format) {
    var form = el("form", { method: "post", action: "/packs/tray", target: format === "docx" ? "_self" : "_blank" });
    var add = function (name, value) { form.appendChild(el("input", { type: "hidden", name: name, value: value })); };
    tray.items.forEach(function (item) { add("id", item.id); });
    add("title", tray.title); add("audience", tray.audience); add("edition", edition); add("format", format);
    document.body.appendChild(form); form.submit(); form.remove();
  }

  function render() {
    var tray = load();
    var panel = document.getElementById("tray");
    document.querySelectorAll(".tray-add").forEach(function (b) {
      var inTray = tray.items.some(function (i) { return i.id === b.dataset.id; });
      b.textContent = inTray ? "已在培训包中" : "加入培训包";
      b.disabled = inTray;
    });
    if (!tray.items.length) { if (panel) panel.remove(); return; }
    if (!panel) { panel = el("aside", { id: "tray", "aria-label": "培训包" }); document.body.appendChild(panel); }
    panel.textContent = "";
    panel.appendChild(el("h2", {}, "培训包（" + tray.items.length + " 个案例）"));
    var title = el("input", { type: "text", "aria-label": "培训包标题", placeholder: "培训包标题" });
    title.value = tray.title;
    title.addEventListener("change", function () { tray.title = title.value; save(tray); });
    var audience = el("input", { type: "text", "aria-label": "培训对象", placeholder: "培训对象" });
    audience.value = tray.audience;
    audience.addEventListener("change", function () { tray.audience = audience.value; save(tray); });
    panel.appendChild(title); panel.appendChild(audience);
    var list = el("ol", {});
    tray.items.forEach(function (item, index) {
      var li = el("li", {});
      li.appendChild(el("span", { "class": "tray-title" }, item.title));
      li.appendChild(button("↑", "上移 " + item.id, function () {
        if (index > 0) { tray.items.splice(index - 1, 0, tray.items.splice(index, 1)[0]); save(tray); }
      }));
      li.appendChild(button("↓", "下移 " + item.id, function () {
        if (index < tray.items.length - 1) { tray.items.splice(index + 1, 0, tray.items.splice(index, 1)[0]); save(tray); }
      }));
      li.appendChild(button("×", "移除 " + item.id, function () { tray.items.splice(index, 1); save(tray); }));
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
      document.querySelectorAll(".tray-add").forEach(function (b) {
        b.hidden = false;
        b.addEventListener("click", function () {
          var tray = load();
          if (!tray.items.some(function (i) { return i.id === b.dataset.id; })) {
            tray.items.push({ id: b.dataset.id, title: b.dataset.title });
            save(tray);
          }
        });
      });
      render();
    },
    yaml: function () { return yaml(load()); }
  };
})();
