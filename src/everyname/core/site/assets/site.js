/* everyname public site: name search and person pages, in the browser, from file:// or any host.
 *
 * Data files are scripts that call everynameSite.<fn>(...) (file:// forbids fetching JSON), loaded
 * on demand with <script src>. No request leaves the site's own folder; nothing is written with
 * innerHTML: every value is set as text.
 *
 * Names: the site's index holds, per name unit of each person, the cross-script key that
 * everyname's Python gives (core.names: "محمد الخالدي" and "Mohammed al-Khalidi" are MHMD KLD).
 * keyAlternatives() below computes the same consonant skeleton for each typed word, in either
 * script, with the alternatives Python's rules choose between (an article that may or may not be
 * one, "Abdur" before "Rahman"...); the index's own keys decide which grouping of the typed
 * words into name units exists, so compounds ("Abd al-Rahman", "عبد الرحمن") need no list here.
 */
(function () {
  "use strict";

  var site = { metaData: null, labelData: null, chunks: {}, shards: {}, waiting: {} };
  window.everynameSite = site;

  // --- data files -----------------------------------------------------------------------------

  function load(name, src) {
    if (site.waiting[name]) return site.waiting[name].promise;
    var entry = {};
    entry.promise = new Promise(function (resolve) {
      entry.resolve = resolve;
      var tag = document.createElement("script");
      tag.src = document.body.dataset.root + src;
      tag.onerror = function () { resolve(null); };
      document.head.appendChild(tag);
    });
    site.waiting[name] = entry;
    return entry.promise;
  }
  function arrived(name, value) {
    var entry = site.waiting[name];
    if (entry) entry.resolve(value);
    else site.waiting[name] = { promise: Promise.resolve(value), resolve: function () {} };
  }
  site.meta = function (meta) { site.metaData = meta; };
  site.labels = function (labels) { site.labelData = labels; };
  site.persons = function (n, rows) { site.chunks[n] = rows; arrived("p" + n, rows); };
  site.keys = function (shard, keys) {
    var decoded = {};
    Object.keys(keys).forEach(function (key) {
      var deltas = keys[key], out = new Array(deltas.length), sum = 0;
      for (var i = 0; i < deltas.length; i++) { sum += deltas[i]; out[i] = sum; }
      decoded[key] = out;
    });
    site.shards[shard] = decoded;
    arrived("k" + shard, decoded);
  };
  function chunk(n) { return load("p" + n, "data/p/" + n + ".js"); }
  function shard(name) {
    if (site.metaData.shards.indexOf(name) < 0) return Promise.resolve({});
    return load("k" + name, "data/k/" + name + ".js");
  }

  // --- name keys (see core/names/keys.py and latin.py) ----------------------------------------

  var ARABIC_FOLDS = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ى": "ي", "ی": "ي", "ې": "ي",
    "ۍ": "ي", "ئ": "ي", "ؤ": "و", "ۏ": "و", "ة": "ه", "ۃ": "ه", "ہ": "ه", "ە": "ه", "ھ": "ه",
    "ک": "ك", "ڪ": "ك", "گ": "ك", "ڤ": "ف", "پ": "ب", "چ": "ج", "ژ": "ز"
  };
  var ARABIC_CLASSES = {
    "ب": "B", "ت": "D", "ث": "D", "ج": "J", "ح": "H", "خ": "K", "د": "D", "ذ": "D", "ر": "R",
    "ز": "Z", "س": "S", "ش": "S", "ص": "S", "ض": "D", "ط": "D", "ظ": "Z", "غ": "K", "ف": "F",
    "ق": "K", "ك": "K", "ل": "L", "م": "M", "ن": "N", "ه": "H"
  };
  var LATIN_CLASSES = {
    b: "B", p: "B", t: "D", d: "D", z: "Z", s: "S", k: "K", g: "K", j: "J", h: "H", f: "F",
    l: "L", m: "M", n: "N", r: "R"
  };
  var DIGRAPHS = { kh: "K", gh: "K", sh: "S", th: "D", dh: "D" };
  var LATIN_FOLDS = [
    [/ph/g, "f"], [/ch/g, "sh"], [/ck|q|c/g, "k"], [/x/g, "ks"], [/v/g, "f"],
    [/(?<=[aeiou])w(?![aeiou])/g, "u"], [/(?<=[a-z])y/g, "i"], [/ee/g, "i"], [/^[eiou]/, "a"],
    [/[eou]/g, "a"], [/([a-z])\1+/g, "$1"], [/(?<=a)h$/, ""]
  ];
  var ABBREVIATIONS = { mhd: "muhammad", mohd: "muhammad", muhd: "muhammad", mhmd: "muhammad" };
  var ARTICLES = { al: 1, el: 1, ul: 1, il: 1, l: 1 };
  var DIN_WORDS = ("din deen dine eddin eddine uddin addin iddin aldin eldin aldeen eldeen " +
    "addeen uddeen eddeen udin edin adin ddin").split(" ");
  var SUN_ARTICLE = /^[aeiu]([tdrzsn]h?|l)$/;
  var ABD_SUN = /^abd[aeiou]([tdrzsn]h?)$/;
  var ABD_JOINED = /^abd(?:[aeiou]l|[aeiou]?([b-df-hj-np-tv-z])(?=\1))(?=[a-z]{2})/;
  var DIN_JOINED = /^([a-z]{3,}?)(?:[aeiou]?l|[aeiou]?d|[aeiou])-?d(?:i|ee|ii|e)ne?$/;
  var ARABIC_LETTER = /[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]/;

  // ``inner``: the word is not the last of a compound written as one word ("Salah al-Din" is
  // "salahaldin" to Python), so its final h is not final.
  function skeleton(classes, inner) {
    classes = classes.replace(/[^A-Z]/g, "").replace(/(.)\1+/g, "$1");
    classes = classes.replace(/(?<=[SKD])H/g, "").replace(/(.)\1+/g, "$1");
    return inner ? classes : classes.replace(/H$/, "");
  }
  function arabicKey(word, inner) {
    var out = "";
    for (var i = 0; i < word.length; i++) out += ARABIC_CLASSES[word[i]] || "";
    return skeleton(out, inner);
  }
  function latinKey(word, inner) {
    var w = word.replace(/kh|gh|sh|th|dh/g, function (m) { return DIGRAPHS[m]; });
    var out = "";
    for (var i = 0; i < w.length; i++) out += LATIN_CLASSES[w[i]] || (/[A-Z]/.test(w[i]) ? w[i] : "");
    return skeleton(out, inner);
  }
  function foldLatin(word, inner) {
    if (ABD_JOINED.test(word)) word = "abdal" + word.slice(word.match(ABD_JOINED)[0].length);
    var din = word.match(DIN_JOINED);
    if (din && word.indexOf("abd") !== 0) word = din[1] + "aldin";
    LATIN_FOLDS.forEach(function (fold, i) {
      if (!(inner && i === LATIN_FOLDS.length - 1)) word = word.replace(fold[0], fold[1]);
    });
    return word;
  }

  // The words of a typed name, each with the keys it may contribute to a name unit.
  function typedWords(text) {
    var tokens = [];
    text = text.normalize("NFKC").replace(/[\u0640\u200B-\u200F\u202A-\u202E\u2066-\u2069]/g, "");
    text = text.replace(/[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]/g, "");
    text.split(/\s+/).forEach(function (raw) {
      if (!raw || /\d/.test(raw)) return;
      if (ARABIC_LETTER.test(raw)) {
        var folded = "";
        for (var i = 0; i < raw.length; i++) folded += ARABIC_FOLDS[raw[i]] || raw[i];
        folded.split(/[^\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]+/).forEach(function (w) {
          if (w) tokens.push({ arabic: true, word: w });
        });
        return;
      }
      var ascii = raw.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
        .replace(/['`\u00b4\u2018\u2019\u02bc\u02bb\u02bf\u02be]/g, "").replace(/\u00df/g, "ss");
      ascii.split(/[^a-z]+/).forEach(function (w) {
        if (w) tokens.push({ arabic: false, word: ABBREVIATIONS[w] || w });
      });
    });
    return tokens.map(function (token, index) {
      var w = token.word, alts, inner;
      if (token.arabic) {
        alts = w === "ال" ? [""] : [arabicKey(w)];
        inner = w === "ال" ? ["", "L"] : [arabicKey(w, true)];
        if (w.indexOf("ال") === 0 && w.length > 3) {
          alts.push(arabicKey(w.slice(2)));
          inner.push(arabicKey(w.slice(2), true));
        }
        var abu = w.match(/^ابو(ال)?(.{2,})$/);  // "ابوالخير" is ابو + الخير, article dropped
        if (abu) alts.push(("B" + arabicKey(abu[2])).replace(/(.)\1+/g, "$1"));
        return { alts: uniq(alts), inner: uniq(inner.concat(alts)), article: w === "ال" };
      }
      var next = (tokens[index + 1] || { word: "" }).word;
      alts = [latinKey(foldLatin(w))];
      inner = [latinKey(foldLatin(w, true), true)];
      var article = !!ARTICLES[w] || SUN_ARTICLE.test(w) || /^[ae]l+$/.test(w);
      if (article) alts.push("", "L");
      if (DIN_WORDS.indexOf(w) >= 0) alts.push("LDN");
      var abdSun = w.match(ABD_SUN);
      if (abdSun && next.indexOf(abdSun[1]) === 0) alts.push("BDL");
      if (/^[ae]l/.test(w) && w.length >= 5) {
        alts.push(latinKey(foldLatin(w.slice(2))));
        inner.push(latinKey(foldLatin(w.slice(2), true), true));
      }
      return { alts: uniq(alts), inner: uniq(inner.concat(alts)), article: article };
    });
  }
  function uniq(list) {
    return list.filter(function (v, i) { return list.indexOf(v) === i; });
  }
  function unitKeys(words, from, to) {
    // Every key the words from..to-1 can make as one name unit.
    var keys = [""];
    for (var i = from; i < to; i++) {
      var next = [];
      var alts = i < to - 1 ? words[i].inner : words[i].alts;
      keys.forEach(function (k) { alts.forEach(function (a) { next.push(k + a); }); });
      keys = uniq(next);
    }
    var onlyArticles = words.slice(from, to).every(function (w) { return w.article; });
    return uniq(keys.map(function (k) {
      k = k.replace(/(.)\1+/g, "$1");
      return k || (onlyArticles ? "" : "V");
    }).filter(function (k) { return k; }));
  }
  var MAX_UNIT_WORDS = 4;
  site.typedWords = typedWords;
  site.unitKeys = unitKeys;
  site.segmentations = function (text, keys) {
    var held = new Set(keys);
    return segmentations(typedWords(text), function (key) { return held.has(key); });
  };

  // A word typed joined ("محمدنور") may be written as two units ("محمد نور"): the two keys of
  // two letters or more that join to its key, cut between two letters or with the letter
  // before the cut starting the second key too (MHMD and DWD join to MHMDWD), as
  // core/names/readings.py cuts a typed part.
  function cuts(key) {
    var out = [];
    for (var i = 2; i < key.length; i++) {
      [[key.slice(0, i), key.slice(i)], [key.slice(0, i), key.slice(i - 1)]].forEach(function (c) {
        var fresh = out.every(function (o) { return o[0] !== c[0] || o[1] !== c[1]; });
        if (c[1].length >= 2 && fresh) out.push(c);
      });
    }
    return out;
  }

  // The groupings of the typed words into name units whose keys the index holds. A group is
  // a unit's key, or two keys with a space ("MHMD NR"): units that must stand side by side.
  function segmentations(words, known) {
    var found = [], seen = new Set(), cutting = false;
    function walk(at, sequence) {
      if (found.length >= 64) return;
      if (at === words.length) {
        var joined = sequence.join("|");
        if (sequence.length && !seen.has(joined)) { seen.add(joined); found.push(sequence); }
        return;
      }
      for (var end = at + 1; end <= Math.min(words.length, at + MAX_UNIT_WORDS); end++) {
        unitKeys(words, at, end).forEach(function (key) {
          if (known(key)) walk(end, sequence.concat([key]));
        });
      }
      if (!cutting) return;
      unitKeys(words, at, at + 1).forEach(function (key) {
        cuts(key).forEach(function (cut) {
          if (known(cut[0]) && known(cut[1])) walk(at + 1, sequence.concat([cut.join(" ")]));
        });
      });
    }
    walk(0, []);  // the words as typed and joined first: the cuts only fill what room is left
    cutting = true;
    walk(0, []);
    return found;
  }
  function candidateKeys(words) {
    var keys = [];
    for (var a = 0; a < words.length; a++) {
      for (var b = a + 1; b <= Math.min(words.length, a + MAX_UNIT_WORDS); b++) {
        keys = keys.concat(unitKeys(words, a, b));
      }
      unitKeys(words, a, a + 1).forEach(function (key) {
        cuts(key).forEach(function (cut) { keys = keys.concat(cut); });
      });
    }
    return uniq(keys);
  }
  function shardOf(key) { return (key + "_").slice(0, 2); }

  // Persons holding every group of ``sequence`` in that order (other units allowed between
  // groups; the two units of a group side by side).
  function matching(sequence) {
    var span = site.metaData.positions;
    function postings(key) {
      var byPerson = new Map();
      (site.shards[shardOf(key)] || {})[key].forEach(function (posting) {
        var person = Math.floor(posting / span), position = posting % span;
        byPerson.set(person, (byPerson.get(person) || 0) | (1 << position));
      });
      return byPerson;
    }
    // A group's map: person -> the positions where it starts; and how many units it spans.
    var lists = sequence.map(function (group) {
      var keys = group.split(" ");
      if (keys.length === 1) return { starts: postings(keys[0]), units: 1 };
      var first = postings(keys[0]), second = postings(keys[1]), starts = new Map();
      first.forEach(function (mask, person) {
        var both = mask & ((second.get(person) || 0) >>> 1);
        if (both) starts.set(person, both);
      });
      return { starts: starts, units: 2 };
    });
    var smallest = lists.reduce(function (a, b) { return a.starts.size <= b.starts.size ? a : b; });
    var out = [];
    smallest.starts.forEach(function (_, person) {
      var next = 0;
      for (var i = 0; i < lists.length; i++) {
        var mask = lists[i].starts.get(person);
        if (mask === undefined) return;
        var position = next;
        while (position < span && !(mask & (1 << position))) position++;
        if (position >= span) return;
        next = position + lists[i].units;
      }
      out.push(person);
    });
    return out;
  }

  site.search = function (text) {
    var words = typedWords(text);
    var keys = candidateKeys(words);
    var needed = uniq(keys.map(shardOf));
    return Promise.all(needed.map(shard)).then(function () {
      var known = function (key) {
        var held = site.shards[shardOf(key)];
        return !!(held && held[key]);
      };
      var persons = new Set();
      segmentations(words, known).forEach(function (sequence) {
        matching(sequence).forEach(function (p) { persons.add(p); });
      });
      return Array.from(persons).sort(function (a, b) { return a - b; });
    });
  };

  // --- rendering -------------------------------------------------------------------------------

  function t(key, values) {
    var text = site.labelData.labels[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }
  function valueLabel(value) { return site.labelData.values[value || "unknown"] || value; }
  function number(n) { return n.toLocaleString(site.labelData.lang === "ar" ? "ar" : "en"); }
  function column(name) { return site.metaData.columns.indexOf(name); }
  function field(row, name) { var i = column(name); return i < 0 ? "" : row[i]; }
  function placeName(id) {
    var place = site.metaData.places[id];
    if (!place) return valueLabel(id);
    return (site.labelData.lang === "ar" ? place[1] : place[0]) || place[0];
  }
  function personRow(index) {
    var n = Math.floor(index / site.metaData.chunk);
    return chunk(n).then(function (rows) { return rows ? rows[index % site.metaData.chunk] : null; });
  }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function where(row) {
    var id = field(row, "governorate_id");
    if (id && id !== "unknown" && id !== "unresolved") return placeName(id);
    return field(row, "governorate") || field(row, "place") || "";
  }

  var PAGE = 25;
  function startSearch() {
    var form = document.getElementById("search");
    var input = document.getElementById("q");
    var status = document.getElementById("status");
    var list = document.getElementById("results");
    var more = document.getElementById("more");
    var found = [], shown = 0, asked = 0;
    status.textContent = "";

    function showMore() {
      var slice = found.slice(shown, shown + PAGE);
      shown += slice.length;
      more.hidden = shown >= found.length;
      return Promise.all(slice.map(personRow)).then(function (rows) {
        rows.forEach(function (row) {
          if (!row) return;
          var item = el("li");
          var id = field(row, "person_id");
          var link = el("a", field(row, "full_name") || t("name_withheld_text"),
            { href: "person.html#" + encodeURIComponent(id), dir: "auto" });
          item.appendChild(link);
          var details = [field(row, "date_of_death"), where(row)].filter(Boolean).join(" · ");
          if (details) item.appendChild(el("span", details, { class: "details", dir: "auto" }));
          list.appendChild(item);
        });
      });
    }
    function run(text) {
      var ask = ++asked;
      list.textContent = "";
      more.hidden = true;
      if (!text.trim()) { status.textContent = ""; return Promise.resolve(); }
      status.textContent = t("searching");
      var started = performance.now();
      return site.search(text).then(function (persons) {
        if (ask !== asked) return;
        found = persons; shown = 0;
        status.textContent = persons.length ? t("results", { n: number(persons.length) })
          : t("no_results");
        return showMore().then(function () {
          document.body.dataset.searchMs = String(Math.round(performance.now() - started));
          document.body.dataset.searched = text;
        });
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      history.replaceState(null, "", "#q=" + encodeURIComponent(input.value));
      keepHash();
      run(input.value);
    });
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { run(input.value); }, 250);
    });
    more.addEventListener("click", showMore);
    var hash = location.hash.match(/^#q=(.*)$/);
    if (hash) { input.value = decodeURIComponent(hash[1]); run(input.value); }
  }

  var SHOWN = ["person_id", "full_name", "sex", "age_years", "age_group", "date_of_death",
    "date_of_death_precision", "place_id", "neighbourhood_id", "locality_id", "district_id",
    "governorate_id", "place", "neighbourhood", "locality", "district", "governorate", "cause",
    "status", "outcome", "independent_sources", "grade", "name_withheld"];
  var VOCABULARY = { sex: 1, age_group: 1, cause: 1, status: 1, outcome: 1, grade: 1,
    date_of_death_precision: 1, name_withheld: 1 };

  function findIndex(id) {
    var firsts = site.metaData.firsts, lo = 0, hi = firsts.length - 1, n = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (firsts[mid] <= id) { n = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return n;
  }
  function startPerson() {
    var status = document.getElementById("status");
    var list = document.getElementById("person");
    var id = decodeURIComponent(location.hash.slice(1));
    var n = findIndex(id);
    if (n < 0) { status.textContent = t("person_missing"); return; }
    chunk(n).then(function (rows) {
      var row = (rows || []).filter(function (r) { return field(r, "person_id") === id; })[0];
      if (!row) { status.textContent = t("person_missing"); return; }
      status.textContent = "";
      var name = field(row, "full_name") || t("name_withheld_text");
      document.querySelector("h1").textContent = name;
      document.title = name + " — " + t("site_title");
      SHOWN.forEach(function (name) {
        var i = column(name);
        if (i < 0 || !row[i]) return;
        var value = row[i];
        if (/_id$/.test(name) && name !== "person_id") value = placeName(value);
        else if (VOCABULARY[name]) value = valueLabel(value);
        list.appendChild(el("dt", t("field_" + name)));
        var cell = el("dd", null, { "data-field": name });
        cell.appendChild(el("bdi", value));  // a Latin value in an Arabic page keeps its order
        list.appendChild(cell);
      });
      document.body.dataset.shown = id;
    });
  }

  // The other language's page shows the same person or search: its link keeps the address's #.
  function keepHash() {
    var link = document.querySelector("header a.language");
    if (link) link.setAttribute("href", link.getAttribute("href").split("#")[0] + location.hash);
  }

  document.addEventListener("DOMContentLoaded", function () {
    keepHash();
    window.addEventListener("hashchange", keepHash);
    var page = document.body.dataset.page;
    if (page === "index") startSearch();
    if (page === "person") { startPerson(); window.addEventListener("hashchange", function () {
      document.getElementById("person").textContent = ""; startPerson(); }); }
  });
})();
