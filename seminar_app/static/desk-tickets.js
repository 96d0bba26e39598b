// Ticket codes and search words as the desk reads them, without the server.
//
// ticketCodeOf mirrors seminar_app/codes.py (ticket_code_of) step for step: the desk looks a
// scanned or typed code up in the roster it keeps, where codes are in their stored form, so
// both must read every input alike. tests/browser/test_desk_offline.py holds them to the same
// answers on a table of inputs; change one, change the other.
(function () {
  "use strict";

  // 32 symbols without the look-alikes 0/O and 1/I (codes.ALPHABET).
  var ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  // A ticket: 3 groups of 4 symbols (codes.TICKET); longer input is not looked at.
  var GROUP = 4;
  var LENGTH = 12;
  var MAX_INPUT = 200;
  // What people type between the groups (codes._SEPARATORS): hyphens and dashes of every
  // width, spaces, and the katakana prolonged sound mark an input method gives for "-".
  var SEPARATORS = " \t\r\n-_.\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70";
  // Tickets issued before readable codes, kept exactly as issued (codes._LEGACY_TICKET).
  var LEGACY = /^TKT-[A-Za-z0-9_-]{24}$/;
  // Python's str.strip() removes these (str.isspace), which differ from String.trim().
  var PYTHON_SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a" +
    "\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var EDGE_SPACES = new RegExp("^" + PYTHON_SPACE + "+|" + PYTHON_SPACE + "+$", "g");

  // Python counts a string's code points; JavaScript's length counts UTF-16 units.
  function codePoints(text) {
    return Array.from(text).length;
  }

  // The symbols of a typed code (any case, width and separators), or null (symbols_of).
  function symbolsOf(raw) {
    if (!raw || codePoints(raw) > MAX_INPUT) { return null; }
    var symbols = Array.from(raw.normalize("NFKC"))
      .filter(function (character) { return SEPARATORS.indexOf(character) < 0; })
      .join("")
      .toUpperCase();
    var all = Array.from(symbols);
    if (all.length !== LENGTH) { return null; }
    for (var i = 0; i < all.length; i += 1) {
      if (ALPHABET.indexOf(all[i]) < 0) { return null; }
    }
    return symbols;
  }

  function format(symbols) {
    var groups = [];
    for (var i = 0; i < symbols.length; i += GROUP) { groups.push(symbols.slice(i, i + GROUP)); }
    return groups.join("-");
  }

  // The stored form of a scanned or typed ticket code, or null if it cannot be one.
  function ticketCodeOf(raw) {
    if (typeof raw !== "string") { return null; }
    var symbols = symbolsOf(raw);
    if (symbols !== null) { return format(symbols); }
    if (!raw || codePoints(raw) > MAX_INPUT) { return null; }
    var legacy = raw.normalize("NFKC").replace(EDGE_SPACES, "");
    return LEGACY.test(legacy) ? legacy : null;
  }

  // A name, reading or organization as the desk's search compares it: full-width letters
  // made plain (NFKC), lower case, katakana as hiragana (ヤマダ finds やまだ), no spaces
  // (山田太郎 finds 山田 太郎).
  function searchKey(text) {
    return (text || "")
      .normalize("NFKC")
      .toLowerCase()
      .replace(/[\u30a1-\u30f6]/g, function (katakana) {
        return String.fromCharCode(katakana.charCodeAt(0) - 0x60);
      })
      .replace(/\s+/g, "");
  }

  window.SeminarDesk = window.SeminarDesk || {};
  window.SeminarDesk.ticketCodeOf = ticketCodeOf;
  window.SeminarDesk.searchKey = searchKey;
})();
