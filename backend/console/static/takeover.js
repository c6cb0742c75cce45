// Polls the takeover feed of a conversation page and appends new messages to the
// transcript. Without JavaScript the page still works: a refresh shows them.
(function () {
  "use strict";
  var box = document.getElementById("takeover");
  var list = document.querySelector("ol.transcript");
  if (!box) { return; }
  if (!list) { // no transcript yet: make a place for the messages under the takeover box
    var section = document.createElement("section");
    section.className = "card";
    list = document.createElement("ol");
    list.className = "transcript";
    section.appendChild(list);
    box.insertAdjacentElement("afterend", section);
  }
  var feed = box.getAttribute("data-feed");
  var label = document.documentElement.lang === "en" ? "written by a person" : "ditulis petugas";
  function lastId() {
    var items = list.querySelectorAll("[data-message-id]");
    var last = 0;
    for (var i = 0; i < items.length; i++) {
      last = Math.max(last, parseInt(items[i].getAttribute("data-message-id"), 10) || 0);
    }
    return last;
  }
  function append(m) {
    var li = document.createElement("li");
    li.className = m.author === "officer" ? "bot person" : "user";
    li.setAttribute("data-message-id", String(m.id));
    var text = document.createElement("span");
    text.className = "prose";
    text.textContent = m.text;
    li.appendChild(text);
    var small = document.createElement("small");
    small.textContent = m.time + (m.author === "officer" ? " · " + m.officer + " (" + label + ") · " + m.state : "");
    li.appendChild(small);
    list.appendChild(li);
  }
  function poll() {
    fetch(feed + "?after=" + lastId(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        body.messages.forEach(append);
        if (!body.holder) { window.location.reload(); return; }
        window.setTimeout(poll, 3000);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 3000);
})();
