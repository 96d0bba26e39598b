// What a check-in desk keeps in the browser, one IndexedDB database per seminar:
//   roster  the seminar's registrations as the server last sent them (desk.roster), by id,
//           with an index on the ticket code for scans;
//   queue   the check-ins made here and not yet answered by the server, by a key of their own;
//   meta    small facts, such as when the roster was last refreshed.
// Closing the desk deletes the whole database (forget); logging out clears it too
// (Clear-Site-Data on the logout response).
(function () {
  "use strict";

  var VERSION = 1;

  function databaseName(seminarId) {
    return "seminar-desk-" + seminarId;
  }

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Runs work(stores) in one transaction over `names`; resolves with what work returned
  // (a request's result once it is known) when the transaction has committed.
  function transaction(db, names, mode, work) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(names, mode);
      var stores = {};
      names.forEach(function (name) { stores[name] = tx.objectStore(name); });
      var outcome = work(stores);
      var value;
      if (outcome && typeof outcome.onsuccess !== "undefined") {
        outcome.onsuccess = function () { value = outcome.result; };
      } else {
        value = outcome;
      }
      tx.oncomplete = function () { resolve(value); };
      tx.onerror = function () { reject(tx.error); };
      tx.onabort = function () { reject(tx.error); };
    });
  }

  function Store(db) {
    this.db = db;
  }

  Store.prototype.rosterByCode = function (code) {
    return transaction(this.db, ["roster"], "readonly", function (stores) {
      return stores.roster.index("code").get(code);
    });
  };

  Store.prototype.rosterGet = function (id) {
    return transaction(this.db, ["roster"], "readonly", function (stores) {
      return stores.roster.get(id);
    });
  };

  // Every entry, in the order the server listed them (五十音).
  Store.prototype.rosterAll = function () {
    return transaction(this.db, ["roster"], "readonly", function (stores) {
      return stores.roster.getAll();
    }).then(function (entries) {
      return entries.sort(function (a, b) { return a.order - b.order; });
    });
  };

  // The server's roster in place of the one kept, with when it came and its ETag (the
  // next refresh asks "changed since?"): all or nothing, in one transaction.
  Store.prototype.replaceRoster = function (entries, refreshedAt, etag) {
    return transaction(this.db, ["roster", "meta"], "readwrite", function (stores) {
      stores.roster.clear();
      entries.forEach(function (entry, order) {
        stores.roster.put(Object.assign({}, entry, { order: order }));
      });
      stores.meta.put({ key: "refreshed_at", value: refreshedAt });
      stores.meta.put({ key: "etag", value: etag });
    });
  };

  // What the server answered about one check-in, until the next roster says it again.
  Store.prototype.recordCheckIn = function (id, checkedInAt, desk) {
    return transaction(this.db, ["roster"], "readwrite", function (stores) {
      var request = stores.roster.get(id);
      request.onsuccess = function () {
        if (!request.result) { return; }
        request.result.checked_in_at = checkedInAt;
        request.result.desk = desk;
        stores.roster.put(request.result);
      };
    });
  };

  // The check-ins waiting to be sent, oldest first.
  Store.prototype.queueAll = function () {
    return transaction(this.db, ["queue"], "readonly", function (stores) {
      return stores.queue.getAll();
    }).then(function (items) {
      return items.sort(function (a, b) { return a.made - b.made; });
    });
  };

  Store.prototype.queueAdd = function (item) {
    return transaction(this.db, ["queue"], "readwrite", function (stores) {
      stores.queue.add(item);
    });
  };

  Store.prototype.queueRemove = function (keys) {
    return transaction(this.db, ["queue"], "readwrite", function (stores) {
      keys.forEach(function (key) { stores.queue.delete(key); });
    });
  };

  Store.prototype.metaGet = function (key) {
    return transaction(this.db, ["meta"], "readonly", function (stores) {
      return stores.meta.get(key);
    }).then(function (row) { return row ? row.value : null; });
  };

  Store.prototype.metaSet = function (key, value) {
    return transaction(this.db, ["meta"], "readwrite", function (stores) {
      stores.meta.put({ key: key, value: value });
    });
  };

  Store.prototype.close = function () {
    this.db.close();
  };

  // The seminar's store, created on first use. onClosedElsewhere runs when another
  // window deletes it (its desk was closed there): this one lets go at once.
  function open(seminarId, onClosedElsewhere) {
    var request = indexedDB.open(databaseName(seminarId), VERSION);
    request.onupgradeneeded = function () {
      var db = request.result;
      var roster = db.createObjectStore("roster", { keyPath: "id" });
      roster.createIndex("code", "code", { unique: false });
      db.createObjectStore("queue", { keyPath: "key" });
      db.createObjectStore("meta", { keyPath: "key" });
    };
    return promised(request).then(function (db) {
      db.onversionchange = function () {
        db.close();
        if (onClosedElsewhere) { onClosedElsewhere(); }
      };
      return new Store(db);
    });
  }

  // Deletes everything kept for the seminar.
  function forget(seminarId) {
    return promised(indexedDB.deleteDatabase(databaseName(seminarId)));
  }

  window.SeminarDesk = window.SeminarDesk || {};
  window.SeminarDesk.openStore = open;
  window.SeminarDesk.forgetStore = forget;
  window.SeminarDesk.storeName = databaseName;
})();
