/* The door's service worker: keeps the door page and its scripts and styles, so the page opens
   without a network. Scans and the ticket list live in IndexedDB (door-offline.js), not here. */
"use strict";

var CACHE = "bazaar-door-v1";
var DOOR_PAGE = /^\/organiser\/events\/\d+\/door$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// The page names what to keep: itself (its plain URL) and the files it loaded.
self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.keep) || [];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return cache.add(url).catch(function () { return null; });
    }));
  }));
});

function kept(request, url) {
  if (request.method !== "GET" || url.origin !== self.location.origin || url.search) { return false; }
  return url.pathname.indexOf("/static/") === 0 || (request.mode === "navigate" && DOOR_PAGE.test(url.pathname));
}

// Network first, so an online door always gets the live page; the kept copy when it fails.
self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (!kept(event.request, url)) { return; }
  event.respondWith(fetch(event.request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
  }));
});
