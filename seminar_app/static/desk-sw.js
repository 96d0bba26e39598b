// The check-in desk's service worker, served from /desk/service-worker.js so that its scope
// is /desk/. It lets a desk page opened once while online open again without network:
//   - a seminar's desk page (/desk/<id>) comes from the network, or, when there is none
//     (or it does not answer in time), from the copy desk-offline.js keeps in CACHE: the
//     page without anyone's data, which the script fills from IndexedDB;
//   - static files come from the network and are kept; without network, from CACHE.
// Everything else (posts, the roster, other pages) goes to the network untouched.
"use strict";

// desk-offline.js writes to the same cache; a new name here drops the old caches.
var CACHE = "seminar-desk-v1";
// "/desk/", and the site's root above it (the app may be served below a path).
var SCOPE = new URL(self.registration.scope).pathname;
var ROOT = SCOPE.replace(/desk\/$/, "");
// A network that is there but does not answer (a venue's Wi-Fi without a way out) would
// keep the desk blank: after this long the kept copy is used.
var PATIENCE_MS = 8000;

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("seminar-desk-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// The network's answer, or a rejection when there is none within PATIENCE_MS.
function fromNetwork(request) {
  if (self.navigator && self.navigator.onLine === false) {
    return Promise.reject(new Error("offline"));
  }
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("no answer in time")); }, PATIENCE_MS);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      resolve(response);
    }, function (error) {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function deskPage(request, path) {
  return fromNetwork(request).catch(function (error) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(path);
    }).then(function (kept) {
      if (kept) { return kept; }
      throw error;
    });
  });
}

function staticFile(request) {
  return fromNetwork(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }, function (error) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: true });
    }).then(function (kept) {
      if (kept) { return kept; }
      throw error;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  var deskOfSeminar = path.indexOf(SCOPE) === 0 && /^\d+$/.test(path.slice(SCOPE.length));
  if (request.mode === "navigate" && deskOfSeminar) {
    event.respondWith(deskPage(request, path));
  } else if (path.indexOf(ROOT + "static/") === 0 || path === ROOT + "favicon.ico") {
    event.respondWith(staticFile(request));
  }
});
