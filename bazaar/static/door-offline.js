/* The offline door: while online, downloads the event's ticket list into IndexedDB; while
   offline, checks scans against it, keeps them with a scan id and shows "checked in (offline)";
   when the network is back, sends them to the server, which applies each once (by its scan id).
   Online, the form posts to the server as before. Texts come from the page (translated there). */
(function () {
  "use strict";

  var box = document.getElementById("door-offline");
  var form = document.querySelector("form.scan-form");
  if (!box || !form || !window.indexedDB || !window.fetch) { return; }
  var eventId = parseInt(box.getAttribute("data-event"), 10);
  var input = form.querySelector("#token");
  var doorInput = form.querySelector("#door");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var results = document.getElementById("door-offline-result");
  var syncing = null;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  var opened = new Promise(function (resolve, reject) {
    var req = window.indexedDB.open("bazaar-door", 1);
    req.onupgradeneeded = function () {
      req.result.createObjectStore("lists", { keyPath: "event" });
      req.result.createObjectStore("scans", { keyPath: "scan_id" }).createIndex("event", "event");
    };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });

  function store(name, mode) {
    return opened.then(function (db) { return db.transaction(name, mode).objectStore(name); });
  }

  function ticketList() {
    return store("lists", "readonly").then(function (s) { return request(s.get(eventId)); });
  }

  function waitingScans() {
    return store("scans", "readonly").then(function (s) { return request(s.index("event").getAll(eventId)); });
  }

  function render() {
    var online = navigator.onLine;
    box.hidden = false;
    box.classList.toggle("is-offline", !online);
    box.querySelector("[data-network]").textContent = box.getAttribute(online ? "data-online" : "data-offline");
    return Promise.all([ticketList(), waitingScans()]).then(function (found) {
      var list = found[0];
      box.querySelector("[data-waiting]").textContent = String(found[1].length);
      box.querySelector("[data-refreshed]").textContent = list
        ? new Date(list.refreshed_at).toLocaleString(document.documentElement.lang)
        : box.getAttribute("data-never");
    });
  }

  function refreshList() {
    return fetch(box.getAttribute("data-tickets"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok || !/json/.test(response.headers.get("Content-Type") || "")) { throw new Error("list"); }
        return response.json();
      })
      .then(function (data) {
        var tickets = {};
        data.tickets.forEach(function (t) { tickets[t.code] = t; });
        csrf = data.csrf_token || csrf;
        return store("lists", "readwrite").then(function (s) {
          return request(s.put({
            event: eventId, tickets: tickets, valid_from: data.valid_from, valid_until: data.valid_until,
            refreshed_at: new Date().toISOString()
          }));
        });
      })
      .catch(function () { return null; })  // keep the list we have
      .then(render);
  }

  // Send the waiting scans one by one; stop at the first network failure and retry later.
  function sync() {
    if (syncing) { return syncing; }
    syncing = waitingScans().then(function (scans) {
      return scans.reduce(function (chain, scan) {
        return chain.then(function (go) {
          if (!go || !navigator.onLine) { return false; }
          return fetch(box.getAttribute("data-scans"), {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
            body: JSON.stringify({ scan_id: scan.scan_id, ticket: scan.ticket, door: scan.door,
                                   scanned_at: scan.scanned_at })
          }).then(function (response) {
            // 200 JSON: applied (or already applied: same scan id); 422: refused for good (e.g. its
            // time). A login page (the session ran out) is neither: the scan waits.
            var json = /json/.test(response.headers.get("Content-Type") || "");
            if ((response.ok && !response.redirected && json) || response.status === 422) {
              return store("scans", "readwrite").then(function (s) { return request(s.delete(scan.scan_id)); })
                .then(function () { return true; });
            }
            return false;
          }, function () { return false; });
        });
      }, Promise.resolve(true));
    }).then(function () { syncing = null; return render(); }, function () { syncing = null; });
    return syncing;
  }

  function base64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = window.atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  // The ticket's signed payload ({"e": event id, "t": ticket code}); the signature needs the
  // server's key, so offline the code is matched against the downloaded list instead.
  function payload(token) {
    var parts = token.trim().split(".");
    var compressed = parts[0] === "";
    if (compressed) { parts.shift(); }
    if (parts.length !== 3) { return Promise.reject(new Error("shape")); }
    var bytes = base64url(parts[0]);
    var text = compressed
      ? new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"))).text()
      : Promise.resolve(new TextDecoder().decode(bytes));
    return text.then(function (json) {
      var data = JSON.parse(json);
      if (typeof data.e !== "number" || typeof data.t !== "string") { throw new Error("fields"); }
      return data;
    });
  }

  function scanId() {
    if (window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function show(kind, ticket) {
    var node = document.getElementById("offline-" + kind).content.cloneNode(true);
    var name = node.querySelector("[data-name]");
    if (name && ticket) { name.textContent = ticket.name || ticket.number; }
    results.replaceChildren(node);
  }

  function offlineScan(token) {
    return Promise.all([ticketList(), waitingScans(), payload(token).catch(function () { return null; })])
      .then(function (found) {
        var list = found[0], data = found[2];
        if (!data) { return show("forged"); }
        if (data.e !== eventId) { return show("wrong_event"); }
        if (!list) { return show("no_list"); }
        var ticket = list.tickets[data.t];
        if (!ticket) { return show("unknown"); }
        var here = found[1].some(function (s) { return s.code === data.t; });
        if (ticket.checked_in || here) { return show("already_checked_in", ticket); }
        return store("scans", "readwrite").then(function (s) {
          return request(s.add({
            scan_id: scanId(), event: eventId, code: data.t, ticket: token.trim(),
            door: doorInput ? doorInput.value : "", scanned_at: new Date().toISOString()
          }));
        }).then(function () { show("checked_in", ticket); });
      })
      .then(render);
  }

  form.addEventListener("submit", function (e) {
    if (navigator.onLine || !input.value.trim()) { return; }
    e.preventDefault();
    var token = input.value;
    input.value = "";
    input.focus();
    offlineScan(token);
  });

  window.addEventListener("offline", render);
  window.addEventListener("online", function () { refreshList().then(sync).then(refreshList); });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(box.getAttribute("data-worker")).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var keep = [window.location.pathname];
      document.querySelectorAll("script[src], link[rel=stylesheet]").forEach(function (el) {
        keep.push(new URL(el.src || el.href, window.location.href).pathname);
      });
      registration.active.postMessage({ keep: keep });
    }).catch(function () { return null; });
  }

  render().then(function () { if (navigator.onLine) { return refreshList().then(sync); } });
  window.setInterval(function () { if (navigator.onLine) { refreshList().then(sync); } }, 5 * 60 * 1000);
}());
