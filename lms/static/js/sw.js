/* The one service worker (served as /sw.js by lms/site/views.py, which fills VERSION and PRECACHE).
   Today it keeps the certificate check working with no signal; to cache more (downloaded courses), add an
   entry to OFFLINE_PAGES and its files to what the route precaches, or a handler to HANDLERS. */
"use strict";
var VERSION = "__VERSION__";
var PRECACHE = __PRECACHE__;  // the verify page (fetched signed out) and the files it uses, fingerprinted
var CACHE = "rnm-offline-" + VERSION;
// Navigations answered from the network, or offline by one cached page whose script reads the URL.
var OFFLINE_PAGES = [{path: /^\/verify(\/[^\/]+)?\/?$/, page: "/verify"}];

function offlinePage(pathname) {
  for (var i = 0; i < OFFLINE_PAGES.length; i++) {
    if (OFFLINE_PAGES[i].path.test(pathname)) { return OFFLINE_PAGES[i].page; }
  }
  return null;
}

var HANDLERS = [
  function navigation(request, url) {
    var page = request.mode === "navigate" && offlinePage(url.pathname);
    if (!page) { return null; }
    return fetch(request).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(page); });
    });
  },
  function staticFile(request, url) {  // fingerprinted (?v=hash): a cached copy is always the right one
    if (url.pathname.indexOf("/static/") !== 0) { return null; }
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) { return hit || fetch(request); });
    });
  }
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (url) { return new Request(url, {credentials: "omit"}); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("rnm-offline-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url), i, answer;
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  for (i = 0; i < HANDLERS.length; i++) {
    answer = HANDLERS[i](request, url);
    if (answer) { event.respondWith(answer); return; }
  }
});
