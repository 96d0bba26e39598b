// The check-in desk, with or without network (pretix's scanning app works the same way).
//
// The desk keeps the seminar's roster in IndexedDB (desk-store.js) and answers every scan and
// search from it at once, online and offline alike. Each check-in made here goes into a queue
// with the moment it happened and this desk's name, and is sent to the server (data-sync-url)
// at once when there is network, later when there is not; the server is the judge and its
// answer to each is shown ("already checked in at desk A at 10:02"). While online the roster
// is refreshed every REFRESH_MS and when the network returns. A service worker (desk-sw.js)
// keeps this page, without anyone's data, so that it opens again offline.
//
// Until the first roster is kept, and without IndexedDB, the page's forms go to the server
// as they do without this script. Every word shown comes from the page (data-strings), in
// its language.
(function () {
  "use strict";

  var root = document.getElementById("desk");
  var SeminarDesk = window.SeminarDesk;
  if (!root || !SeminarDesk || !SeminarDesk.openStore || !window.indexedDB ||
      !window.fetch || !window.Promise) {
    return;
  }

  // desk-sw.js serves this page from the same cache.
  var CACHE = "seminar-desk-v1";
  var REFRESH_MS = 15000;
  // A request the network does not answer within this long counts as no network.
  var PATIENCE_MS = 10000;
  // At most this many check-ins per request (attendance/offline.py, MAX_REPORTS).
  var BATCH = 200;
  var SEARCH_LIMIT = 30;

  var strings = JSON.parse(root.getAttribute("data-strings"));
  var kanaRows = JSON.parse(root.getAttribute("data-kana-rows"));
  var seminarId = root.getAttribute("data-seminar-id");
  var deskName = root.getAttribute("data-desk-name");
  var hybrid = root.getAttribute("data-hybrid") === "true";
  var offlineCopy = root.hasAttribute("data-offline-copy");
  var urls = {
    roster: root.getAttribute("data-roster-url"),
    sync: root.getAttribute("data-sync-url"),
    page: root.getAttribute("data-page-url"),
    undo: root.getAttribute("data-undo-url"),
    worker: root.getAttribute("data-worker-url"),
    scope: root.getAttribute("data-worker-scope"),
    index: root.getAttribute("data-index-url")
  };

  function byId(id) { return document.getElementById(id); }
  var parts = {
    status: byId("desk-status"),
    connection: byId("desk-connection"),
    waiting: byId("desk-waiting"),
    refreshed: byId("desk-refreshed"),
    close: byId("desk-close"),
    notices: byId("desk-notices"),
    result: byId("desk-result"),
    answers: byId("desk-answers"),
    answerList: byId("desk-answer-list"),
    scanForm: byId("scan-form"),
    code: byId("code"),
    photoForm: byId("photo-form"),
    searchForm: byId("search-form"),
    query: byId("q"),
    queryLabel: byId("q-label"),
    searchResults: byId("desk-search-results"),
    counter: root.querySelector(".desk-count"),
    checkedIn: root.querySelector("[data-checked-in]"),
    confirmed: root.querySelector("[data-confirmed]"),
    rows: byId("desk-rows"),
    people: byId("desk-people"),
    onlineHead: byId("desk-online-head"),
    onlinePeople: byId("desk-online-people")
  };
  var firstToken = parts.scanForm && parts.scanForm.querySelector("[name=csrf_token]");

  var state = {
    store: null,
    // A roster is kept here: scans and searches are answered from it.
    ready: false,
    // "online", "offline" or "logged-out": how the last exchange with the server went.
    connection: offlineCopy || !navigator.onLine ? "offline" : "online",
    csrf: firstToken ? firstToken.value : "",
    etag: null,
    refreshedAt: null,
    waiting: 0,
    sending: null,
    cycling: null,
    // Keys of the check-ins on their way to the server, and of those undone before.
    inFlight: {},
    withdrawn: {},
    active: false,
    copyKept: false,
    closed: false,
    leaving: false,
    row: new URL(window.location.href).searchParams.get("row") || "",
    query: parts.query ? parts.query.value.trim() : "",
    // The check-in the result panel shows: {key, outcome}.
    shown: null,
    // Admissions one after the other, so that two quick scans of one ticket see each other.
    admitting: Promise.resolve(),
    drawn: {}
  };

  // --- small helpers -------------------------------------------------------------------------

  // Fills a message's %(name)s and %(n)d placeholders.
  function fill(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (whole, name) {
      return values[name] === undefined || values[name] === null ? whole : String(values[name]);
    });
  }

  var tokyoClock = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });

  // 10:02, in Tokyo time, as the server writes times at the desk.
  function clock(moment) {
    return tokyoClock.format(new Date(moment));
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // This device's clock as ISO 8601 with its offset: 2026-05-01T10:02:13.120+09:00.
  function localMoment(date) {
    var offset = -date.getTimezoneOffset();
    var local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 23);
    var sign = offset < 0 ? "-" : "+";
    var minutes = Math.abs(offset);
    return local + sign + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // Sets a text only when it changes: live regions then speak only news.
  function setText(node, text) {
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  // fetch() that gives up after PATIENCE_MS, as a network that is gone would.
  function request(url, options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, PATIENCE_MS) : null;
    var settings = Object.assign({
      credentials: "same-origin", cache: "no-store", redirect: "manual"
    }, options, controller ? { signal: controller.signal } : {});
    return fetch(url, settings).then(function (response) {
      clearTimeout(timer);
      return response;
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  // A redirect (to the login page) or a refusal: this browser is no longer logged in.
  function loggedOut(response) {
    return response.type === "opaqueredirect" || response.status === 401 ||
      response.status === 403;
  }

  function notice(text, category) {
    var note = element("div", "flash flash-" + category, text);
    note.setAttribute("role", category === "success" ? "status" : "alert");
    parts.notices.replaceChildren(note);
  }

  // --- what the desk shows -------------------------------------------------------------------

  // Each registration as the desk sees it: the server's roster, with the check-ins made
  // here that the server has not answered yet.
  function views(entries, queue) {
    var unsent = {};
    queue.forEach(function (item) {
      if (item.registration_id && !unsent[item.registration_id]) {
        unsent[item.registration_id] = item;
      }
    });
    return entries.map(function (entry) {
      var item = unsent[entry.id];
      var checkedInAt = entry.checked_in_at || (item ? item.at : null);
      return {
        entry: entry,
        checkedInAt: checkedInAt,
        desk: entry.checked_in_at ? entry.desk : (item ? item.desk : null),
        unsent: !entry.checked_in_at && Boolean(item),
        item: item || null
      };
    });
  }

  function expectedAtTheDoor(view) {
    return view.entry.status === "confirmed" && !view.entry.online;
  }

  function personItem(view) {
    var entry = view.entry;
    var item = element("li", "match" + (view.checkedInAt ? " match-done" : ""));
    var about = element("div");
    about.append(element("strong", null, entry.name), " ",
      element("span", "muted", entry.kana), element("br"),
      element("span", "muted", entry.organization || ""), " ",
      element("span", "status status-" + entry.status,
        strings.statuses[entry.status] || entry.status));
    if (hybrid && entry.online) {
      about.append(" ", element("span", "status", strings.attending_online));
    }
    if (view.checkedInAt) {
      about.append(" ", element("span", "status status-published",
        fill(strings.checked_in_at, { time: clock(view.checkedInAt) })));
    }
    if (view.unsent) {
      about.append(" ", element("span", "status status-unsent", strings.not_sent));
    }
    item.append(about);
    if (entry.status === "confirmed" && !view.checkedInAt) {
      var button = element("button", "button button-primary", strings.check_in);
      button.type = "button";
      button.setAttribute("data-admit", entry.id);
      button.setAttribute("aria-label", fill(strings.check_in_name, { name: entry.name }));
      item.append(button);
    }
    return item;
  }

  function personList(list, empty) {
    if (!list.length) { return element("p", "empty", empty); }
    var ul = element("ul", "matches");
    list.forEach(function (view) { ul.append(personItem(view)); });
    return ul;
  }

  // Redraws a part only when what it shows changed (a tap on a button is not lost).
  function draw(name, data, paint) {
    var signature = JSON.stringify(data);
    if (state.drawn[name] === signature) { return; }
    state.drawn[name] = signature;
    paint();
  }

  function rowLink(row, label, checked, expected) {
    var link = element("a", null, label + " ");
    var url = new URL(urls.page, window.location.href);
    if (row) { url.searchParams.set("row", row); }
    link.href = url.pathname + url.search + "#desk-list-head";
    link.setAttribute("data-row", row);
    if (row === state.row) { link.setAttribute("aria-current", "true"); }
    link.append(element("span", "kana-count", checked + "/" + expected));
    return link;
  }

  function renderList(all) {
    var expected = all.filter(expectedAtTheDoor);
    var checked = expected.filter(function (view) { return view.checkedInAt; }).length;
    setText(parts.checkedIn, String(checked));
    setText(parts.confirmed, String(expected.length));
    parts.counter.setAttribute("data-local", "");
    var byRow = {};
    expected.forEach(function (view) {
      (byRow[view.entry.row] = byRow[view.entry.row] || []).push(view);
    });
    var counts = kanaRows.filter(function (row) { return byRow[row]; }).map(function (row) {
      return [row, byRow[row].filter(function (v) { return v.checkedInAt; }).length,
        byRow[row].length];
    });
    draw("rows", [state.row, checked, expected.length, counts], function () {
      var links = [rowLink("", strings.all, checked, expected.length)];
      counts.forEach(function (count) {
        var label = count[0] === "other" ? strings.others : fill(strings.row, { kana: count[0] });
        links.push(rowLink(count[0], label, count[1], count[2]));
      });
      parts.rows.replaceChildren.apply(parts.rows, links);
    });
    var shown = state.row ? (byRow[state.row] || []) : expected;
    draw("people", shown, function () {
      parts.people.replaceChildren(personList(shown, strings.nobody));
    });
    if (hybrid && parts.onlinePeople) {
      var online = all.filter(function (v) {
        return v.entry.status === "confirmed" && v.entry.online;
      });
      setText(parts.onlineHead, fill(strings.online_heading, { n: online.length }));
      draw("online", online, function () {
        parts.onlinePeople.hidden = !online.length;
        var list = parts.onlinePeople.querySelector("ul") || element("ul", "matches");
        list.replaceChildren.apply(list, online.map(personItem));
        if (!list.parentNode) { parts.onlinePeople.append(list); }
      });
    }
  }

  function renderSearch(all) {
    var query = SeminarDesk.searchKey(state.query);
    if (!query) {
      parts.searchResults.hidden = true;
      state.drawn.search = null;
      return;
    }
    var found = all.filter(function (view) {
      var entry = view.entry;
      return [entry.name, entry.kana, entry.organization].some(function (text) {
        return SeminarDesk.searchKey(text).indexOf(query) >= 0;
      });
    }).slice(0, SEARCH_LIMIT);
    draw("search", [state.query, found], function () {
      parts.searchResults.replaceChildren(
        personList(found, fill(strings.no_match, { q: state.query })));
      parts.searchResults.hidden = false;
    });
  }

  function renderStatus() {
    parts.status.hidden = false;
    parts.status.setAttribute("data-connection", state.connection);
    parts.status.setAttribute("data-waiting", String(state.waiting));
    setText(parts.connection, strings[state.connection]);
    setText(parts.waiting, fill(strings.waiting, { n: state.waiting }));
    setText(parts.refreshed, state.refreshedAt ?
      fill(strings.refreshed, { time: clock(state.refreshedAt) }) : strings.not_refreshed);
  }

  // Everything from what is kept: the lists, the counts, the search, the status line.
  function render() {
    if (!state.store || state.closed) { return Promise.resolve(); }
    return Promise.all([state.store.rosterAll(), state.store.queueAll()]).then(function (kept) {
      state.waiting = kept[1].length;
      if (state.ready) {
        var all = views(kept[0], kept[1]);
        renderList(all);
        renderSearch(all);
      }
      renderStatus();
    });
  }

  // The result panel, as attendance/_result.html draws it for the server's answers.
  function showResult(outcome, details) {
    var tone = outcome === "checked-in" ? "ok" :
      (outcome === "already-checked-in" || outcome === "asking" ? "warn" : "stop");
    var panel = element("section", "result result-" + tone);
    panel.setAttribute("role", "alert");
    panel.setAttribute("aria-live", "assertive");
    var titles = {
      "checked-in": "✓ " + strings.checked_in,
      "already-checked-in": "! " + strings.already,
      "cancelled": "✕ " + strings.cancelled,
      "waitlisted": "✕ " + strings.waitlisted,
      "other-seminar": "✕ " + strings.other_seminar,
      "refused": "✕ " + strings.refused,
      "asking": "… " + strings.asking
    };
    panel.append(element("p", "result-title", titles[outcome] || "? " + strings.unknown));
    if (details.name) { panel.append(element("p", "result-name", details.name)); }
    if (outcome === "checked-in" && details.organization) {
      panel.append(element("p", null, details.organization));
    }
    if (outcome === "already-checked-in" && details.at) {
      panel.append(element("p", null, fill(strings.at_by, {
        time: clock(details.at), who: details.desk || strings.another_desk
      })));
    }
    if (details.message) { panel.append(element("p", null, details.message)); }
    if (details.seminar) { panel.append(element("p", null, details.seminar)); }
    if (outcome === "unknown") {
      // Offline, a code the list does not know may be one registered since its refresh.
      var known = details.unreadable || state.connection === "online";
      panel.append(element("p", null, known ? strings.unknown_hint : strings.unknown_offline));
    }
    if ((outcome === "checked-in" || outcome === "already-checked-in") && details.registrationId) {
      var undo = element("button", "button", strings.undo);
      undo.type = "button";
      undo.setAttribute("data-undo", details.registrationId);
      var form = element("div");
      form.append(undo);
      panel.append(form);
    }
    parts.result.replaceChildren(panel);
    state.shown = { key: details.key || null, outcome: outcome };
  }

  function showEntry(outcome, entry, extra) {
    showResult(outcome, Object.assign({
      name: entry.name, organization: entry.organization, registrationId: entry.id
    }, extra || {}));
  }

  // --- admitting people ----------------------------------------------------------------------

  function queueCheckIn(item) {
    return state.store.queueAdd(item).then(function () {
      render();
      send();
    });
  }

  // The desk's decision, from what it keeps; the server's answer may follow (settle).
  function admit(entry, method) {
    return state.store.queueAll().then(function (queue) {
      var view = views([entry], queue)[0];
      if (entry.status === "cancelled") { return showEntry("cancelled", entry); }
      if (entry.status !== "confirmed") { return showEntry("waitlisted", entry); }
      if (view.checkedInAt) {
        return showEntry("already-checked-in", entry, { at: view.checkedInAt, desk: view.desk });
      }
      var item = {
        key: newKey(), made: Date.now(), registration_id: entry.id, code: null,
        at: localMoment(new Date()), desk: deskName, method: method
      };
      showEntry("checked-in", entry, { key: item.key });
      return queueCheckIn(item);
    });
  }

  function inTurn(work) {
    state.admitting = state.admitting.then(work, work).catch(function () {});
    return state.admitting;
  }

  function scan(raw) {
    var code = SeminarDesk.ticketCodeOf(raw);
    if (!code) { return Promise.resolve(showResult("unknown", { unreadable: true })); }
    return state.store.rosterByCode(code).then(function (entry) {
      if (entry) { return admit(entry, "scan"); }
      if (state.connection !== "online") { return showResult("unknown", {}); }
      // Registered since the last refresh, or another seminar's ticket: the server knows.
      var item = {
        key: newKey(), made: Date.now(), registration_id: null, code: code,
        at: localMoment(new Date()), desk: deskName, method: "scan"
      };
      showResult("asking", { key: item.key });
      return queueCheckIn(item);
    });
  }

  function admitById(id) {
    return state.store.rosterGet(id).then(function (entry) {
      if (entry) { return admit(entry, "search"); }
    });
  }

  // --- talking to the server -----------------------------------------------------------------

  function setConnection(connection) {
    state.connection = connection;
    if (state.store) { renderStatus(); }
  }

  function addAnswer(who, text) {
    var line = element("li");
    if (who) { line.append(element("strong", null, who), " "); }
    line.append(text);
    parts.answerList.append(line);
    parts.answers.hidden = false;
  }

  // The server's answers to a batch, in its order: the queue lets go of each answered one.
  function settle(batch, answers) {
    var done = [];
    var updates = [];
    batch.forEach(function (item, n) {
      var answer = answers[n];
      if (!answer || answer.key !== item.key) { return; }
      done.push(item.key);
      if (answer.registration_id && answer.checked_in_at) {
        updates.push(state.store.recordCheckIn(
          answer.registration_id, answer.checked_in_at, answer.desk));
      }
      if (answer.outcome !== "checked-in") {
        addAnswer(answer.name || item.code,
          answer.message + (answer.seminar ? " — " + answer.seminar : ""));
      }
      if (state.shown && state.shown.key === item.key &&
          (state.shown.outcome !== answer.outcome || state.shown.outcome === "asking")) {
        showResult(answer.outcome, {
          key: item.key, name: answer.name, registrationId: answer.registration_id,
          at: answer.checked_in_at, desk: answer.desk, seminar: answer.seminar,
          // Only a refusal says more than the panel does (why: a wrong clock, say).
          message: answer.outcome === "refused" ? answer.message : null
        });
      }
    });
    return Promise.all(updates).then(function () {
      return state.store.queueRemove(done);
    });
  }

  // One batch of the queue to the server; resolves true when there may be more to send.
  function sendBatch(retried) {
    return state.store.queueAll().then(function (queue) {
      var batch = queue.filter(function (item) {
        return !state.withdrawn[item.key];
      }).slice(0, BATCH);
      if (!batch.length || state.closed) { return false; }
      batch.forEach(function (item) { state.inFlight[item.key] = true; });
      return request(urls.sync, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": state.csrf
        },
        body: JSON.stringify(batch.map(function (item) {
          return {
            key: item.key, registration_id: item.registration_id, code: item.code,
            at: item.at, desk: item.desk, method: item.method
          };
        }))
      }).then(function (response) {
        if (loggedOut(response)) {
          setConnection("logged-out");
          return false;
        }
        if (response.status === 400 && !retried) {
          // The page's CSRF token may be older than the session (a page kept offline):
          // the roster brings a fresh one.
          return refresh().then(function () { return sendBatch(true); });
        }
        if (!response.ok) { return false; }
        setConnection("online");
        return response.json().then(function (body) {
          return settle(batch, body.answers || []);
        }).then(function () { return true; });
      }, function () {
        setConnection("offline");
        return false;
      }).then(function (more) {
        batch.forEach(function (item) { delete state.inFlight[item.key]; });
        return more;
      });
    });
  }

  // Everything waiting, batch after batch; one sending at a time. What was answered is
  // shown at once (a page that has sent nothing keeps what it shows until the roster).
  function send() {
    if (!state.store) { return Promise.resolve(); }
    if (!state.sending) {
      var answered = false;
      var loop = function () {
        return sendBatch(false).then(function (more) {
          answered = answered || more;
          return more ? loop() : null;
        });
      };
      state.sending = loop().catch(function () {}).then(function () {
        state.sending = null;
        return answered ? render() : null;
      });
    }
    return state.sending;
  }

  // The roster afresh (or "unchanged", 304); the connection's state follows the answer.
  function refresh() {
    var headers = { "Accept": "application/json" };
    if (state.etag) { headers["If-None-Match"] = state.etag; }
    return request(urls.roster, { headers: headers }).then(function (response) {
      if (loggedOut(response)) {
        setConnection("logged-out");
        return null;
      }
      if (!response.ok && response.status !== 304) {
        throw new Error("roster: " + response.status);
      }
      state.csrf = response.headers.get("X-CSRF-Token") || state.csrf;
      var now = new Date().toISOString();
      if (response.status === 304) {
        state.refreshedAt = now;
        setConnection("online");
        keepCopy();
        return state.store.metaSet("refreshed_at", now);
      }
      var etag = response.headers.get("ETag");
      return response.json().then(function (body) {
        return state.store.replaceRoster(body.registrations, now, etag);
      }).then(function () {
        state.etag = etag;
        state.refreshedAt = now;
        state.ready = true;
        setConnection("online");
        activate();
        keepCopy();
      });
    }).catch(function () {
      setConnection("offline");
    });
  }

  // Send what waits, then refresh the roster, then show it; one round at a time.
  function cycle() {
    if (state.closed || !state.store) { return Promise.resolve(); }
    if (!state.cycling) {
      state.cycling = send().then(refresh).then(render).catch(function () {}).then(function () {
        state.cycling = null;
      });
    }
    return state.cycling;
  }

  // This page without anyone's data (the server renders it so for this header) and its
  // static files, for the service worker to serve when there is no network.
  function keepCopy() {
    if (state.copyKept || !window.caches) { return; }
    state.copyKept = true;
    var files = Array.prototype.map.call(
      document.querySelectorAll("link[rel=stylesheet], link[rel=icon], script[src]"),
      function (node) { return node.href || node.src; });
    caches.open(CACHE).then(function (cache) {
      return Promise.all([
        request(urls.page, { headers: { "X-Desk-Copy": "offline" } }).then(function (response) {
          if (response.ok) { return cache.put(urls.page, response); }
        }),
        cache.addAll(files)
      ]);
    }).catch(function () { state.copyKept = false; });
  }

  // --- closing the desk, logging out ---------------------------------------------------------

  function stop() {
    state.closed = true;
    clearInterval(state.timer);
  }

  function closeDesk() {
    parts.close.disabled = true;
    send().then(function () { return state.store.queueAll(); }).then(function (queue) {
      if (queue.length) {
        notice(fill(strings.close_refused, { n: queue.length }), "error");
        parts.close.disabled = false;
        return null;
      }
      stop();
      state.store.close();
      return Promise.all([
        SeminarDesk.forgetStore(seminarId),
        window.caches ? caches.open(CACHE).then(function (cache) {
          return cache.delete(urls.page);
        }) : null
      ]).then(function () { window.location.assign(urls.index); });
    }).catch(function () { parts.close.disabled = false; });
  }

  // Logging out deletes what the browser keeps (Clear-Site-Data): not while check-ins wait.
  function guardLogout(event) {
    if (state.leaving || !state.store || state.closed) { return; }
    event.preventDefault();
    var form = event.target;
    send().then(function () { return state.store.queueAll(); }).then(function (queue) {
      if (queue.length) {
        notice(fill(strings.logout_refused, { n: queue.length }), "error");
        return;
      }
      state.leaving = true;
      form.submit();
    });
  }

  // --- the page's controls -------------------------------------------------------------------

  function undo(id) {
    return state.store.queueAll().then(function (queue) {
      var waiting = queue.filter(function (item) { return item.registration_id === id; });
      if (waiting.some(function (item) { return state.inFlight[item.key]; })) {
        // On its way: once the server has answered, it is the server's to undo.
        return (state.sending || Promise.resolve()).then(function () { return undo(id); });
      }
      if (waiting.length) {
        // Never sent: nothing to undo on the server. Withdrawn at once (this very turn),
        // so that no sending picks it up before it is gone from the queue.
        var keys = waiting.map(function (item) { return item.key; });
        keys.forEach(function (key) { state.withdrawn[key] = true; });
        return state.store.queueRemove(keys).then(function () {
          parts.result.replaceChildren();
          state.shown = null;
          notice(strings.undone, "success");
          return render();
        });
      }
      if (state.connection !== "online") {
        notice(strings.undo_needs_network, "warning");
        return null;
      }
      // Sent: the server undoes it and answers with the desk page, as without this script.
      var form = element("form");
      form.method = "post";
      form.action = urls.undo.replace("/registrations/0/", "/registrations/" + id + "/");
      var token = element("input");
      token.type = "hidden";
      token.name = "csrf_token";
      token.value = state.csrf;
      form.append(token);
      document.body.append(form);
      // The next page draws from the roster kept here until it has the server's again.
      return state.store.recordCheckIn(id, null, null).then(function () { form.submit(); });
    });
  }

  // From the first roster on, the page's forms are answered here.
  function activate() {
    if (state.active) { return; }
    state.active = true;
    root.setAttribute("data-roster", "kept");
    if (parts.queryLabel) { parts.queryLabel.textContent = strings.search_label; }
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!state.ready || state.closed) { return; }
    if (form === parts.scanForm) {
      event.preventDefault();
      var raw = parts.code.value;
      parts.code.value = "";
      parts.code.focus();
      inTurn(function () { return scan(raw); });
    } else if (form === parts.searchForm) {
      event.preventDefault();
      state.query = parts.query.value.trim();
      render();
    } else if (form.hasAttribute("data-admit")) {
      event.preventDefault();
      var id = Number(form.getAttribute("data-admit"));
      inTurn(function () { return admitById(id); });
    } else if (form === parts.photoForm && state.connection !== "online") {
      event.preventDefault();
      notice(strings.photo_needs_network, "warning");
    }
  });

  root.addEventListener("click", function (event) {
    var admitting = event.target.closest("button[data-admit]");
    var undoing = event.target.closest("button[data-undo]");
    var row = event.target.closest("#desk-rows a[data-row]");
    if (admitting && state.ready) {
      var id = Number(admitting.getAttribute("data-admit"));
      inTurn(function () { return admitById(id); });
    } else if (undoing) {
      undo(Number(undoing.getAttribute("data-undo")));
    } else if (row && state.ready) {
      event.preventDefault();
      state.row = row.getAttribute("data-row");
      window.history.replaceState(null, "", row.getAttribute("href"));
      render();
    }
  });

  if (parts.query) {
    parts.query.addEventListener("input", function () {
      if (!state.ready) { return; }
      state.query = parts.query.value.trim();
      render();
    });
  }
  parts.close.addEventListener("click", closeDesk);
  var logout = document.querySelector(".site-header form[action$='/logout']");
  if (logout) { logout.addEventListener("submit", guardLogout); }

  window.addEventListener("online", cycle);
  window.addEventListener("offline", function () { setConnection("offline"); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { cycle(); }
  });

  // --- start ---------------------------------------------------------------------------------

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(urls.worker, { scope: urls.scope }).catch(function () {});
  }

  SeminarDesk.openStore(seminarId, function () {
    stop();
    notice(strings.closed_elsewhere, "warning");
  }).then(function (store) {
    state.store = store;
    return Promise.all([store.metaGet("refreshed_at"), store.metaGet("etag")]);
  }).then(function (kept) {
    state.refreshedAt = kept[0];
    state.etag = kept[1];
    state.ready = Boolean(kept[0]);
    if (state.ready) { activate(); }
    // Offline, the kept roster at once; online, the server's page stands until the roster
    // has been refreshed (the cycle draws it then).
    var first = state.ready && state.connection !== "online" ? render() : Promise.resolve();
    renderStatus();
    return first.then(cycle);
  }).then(function () {
    state.timer = setInterval(cycle, REFRESH_MS);
  }).catch(function () {
    // No IndexedDB here (a private window may refuse it): the forms go to the server.
    parts.status.hidden = true;
  });
})();
