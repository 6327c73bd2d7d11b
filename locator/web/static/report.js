// Reports from the street (issue #25): "Something wrong?" and "I was just there" on every
// facility card and page, "A station is needed here" on the phone page and the map.
// Each report gets a client_id (a UUID) made here: sent again (a retry, the queue), the
// server answers with the same report, never a second one. With no signal the service
// worker (sw.js) keeps the report and answers 202; it sends it when the network is back
// and tells the page, which says "waiting to send" and then "sent". A page with no worker
// keeps it in localStorage and sends it on `online` or the next load. Positions are
// WGS-84 [lon, lat]; text reaches the page as text (textContent), never as HTML.
(function () {
  var cfgEl = document.getElementById('report-config');
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.texts;
  var QUEUE_KEY = 'locator-report-queue';
  var pending = {};  // client_id -> the status element that waits for its answer

  function fill(text, values) {
    Object.keys(values).forEach(function (k) { text = text.split('{' + k + '}').join(values[k]); });
    return text;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return [h.slice(0, 4), h.slice(4, 6), h.slice(6, 8), h.slice(8, 10), h.slice(10)]
      .map(function (p) { return p.join(''); }).join('-');
  }
  function say(el, text, state) {
    if (!el) { return; }
    el.textContent = text;
    el.dataset.state = state || '';
  }
  function problemText(r) {
    return r.json().then(function (p) { return p.detail || p.title || String(r.status); },
                         function () { return String(r.status); });
  }
  // the map's coordinates to WGS-84: AMap tiles are GCJ-02, whose offset is undone by
  // iterating the forward formula (offline.js) to well under a metre
  function toWgs(lat, lon) {
    if (cfg.coord !== 'gcj02' || !window.LocatorOffline) { return [lon, lat]; }
    var w = [lat, lon];
    for (var i = 0; i < 4; i++) {
      var g = window.LocatorOffline.wgsToGcj(w[0], w[1]);
      w = [w[0] - (g[0] - lat), w[1] - (g[1] - lon)];
    }
    return [w[1], w[0]];
  }
  function place(lon, lat) { return {lon: lon.toFixed(5), lat: lat.toFixed(5)}; }

  // ------------------------------------------------------------------ sending
  function readQueue() {
    try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]'); } catch (e) { return []; }
  }
  function writeQueue(items) {
    try { localStorage.setItem(QUEUE_KEY, JSON.stringify(items)); } catch (e) { /* full */ }
  }
  function post(body) {
    return fetch(cfg.api, {method: 'POST', headers: {'Content-Type': 'application/json'},
                           body: JSON.stringify(body), credentials: 'same-origin'});
  }
  function settled(id, ok, detail) {
    var el = pending[id];
    delete pending[id];
    say(el, ok ? T.report_sent : fill(T.report_failed, {reason: detail}), ok ? 'sent' : 'failed');
  }
  // the page's own queue (no worker): sent in order; one that cannot go yet stops the rest
  var flushingHere = false;
  function flushHere() {
    if (flushingHere || !navigator.onLine) { return; }
    var items = readQueue();
    if (!items.length) { return; }
    flushingHere = true;
    var item = items[0];
    post(item).then(function (r) {
      if (r.status === 429 || r.status >= 500) { throw new Error(r.status); }
      writeQueue(readQueue().filter(function (x) { return x.client_id !== item.client_id; }));
      if (r.ok) { settled(item.client_id, true); return; }
      return problemText(r).then(function (t) { settled(item.client_id, false, t); });
    }).then(function () { flushingHere = false; flushHere(); },
            function () { flushingHere = false; });
  }
  function flushAll() {
    var sw = navigator.serviceWorker;
    if (sw && sw.controller) { sw.controller.postMessage({type: 'locator-flush-reports'}); }
    flushHere();
  }
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener('message', function (e) {
      var m = e.data || {};
      if (m.type === 'locator-report') { settled(m.client_id, m.state === 'sent', m.detail); }
    });
  }
  window.addEventListener('online', flushAll);
  window.addEventListener('load', flushAll);
  // while a report of this page waits, ask again now and then: an `online` that came
  // before the network really worked is not the last chance
  var retry = null;
  function keepTrying() {
    if (retry) { return; }
    retry = setInterval(function () {
      var waiting = Object.keys(pending).some(function (id) {
        return pending[id] && pending[id].dataset.state === 'waiting';
      });
      if (!waiting) { clearInterval(retry); retry = null; return; }
      if (navigator.onLine) { flushAll(); }
    }, 5000);
  }

  // send a report; the button that sent it (if any) stays disabled unless it failed, so
  // that a second tap does not make a second report
  function send(body, statusEl, trapFrom, button) {
    if (button) { button.disabled = true; }
    body.client_id = uuid();
    var trap = trapFrom && trapFrom.querySelector('input[name=website]');
    if (trap && trap.value) { body.website = trap.value; }
    pending[body.client_id] = statusEl;
    say(statusEl, T.report_sending, 'sending');
    return post(body).then(function (r) {
      if (r.status === 202) {  // the worker keeps it
        say(statusEl, T.report_waiting, 'waiting');
        keepTrying();
        return;
      }
      if (r.status >= 500) {  // no worker to keep it, and the server cannot take it now
        writeQueue(readQueue().concat([body]));
        say(statusEl, T.report_waiting, 'waiting');
        keepTrying();
        return;
      }
      delete pending[body.client_id];
      if (r.ok) { say(statusEl, T.report_received, 'received'); return; }
      if (button) { button.disabled = false; }
      return problemText(r).then(function (t) {
        say(statusEl, fill(T.report_failed, {reason: t}), 'failed');
      });
    }, function () {  // no network and no worker to keep it: this page keeps it
      writeQueue(readQueue().concat([body]));
      say(statusEl, T.report_waiting, 'waiting');
      keepTrying();
    });
  }

  // ------------------------------------------------------------------ facility cards
  var template = document.getElementById('report-panel');
  var map = cfg.map ? window[cfg.map] : null;
  var tapMarker = null;

  function cardOf(el) { return el.closest('li.facility, article.facility'); }
  function statusOf(card) { return card.querySelector('.report-status'); }

  function closePanel(card) {
    var panel = card.querySelector('.report-panel');
    if (panel) { panel.remove(); }
    var opener = card.querySelector('.report-open');
    if (opener) { opener.setAttribute('aria-expanded', 'false'); }
    if (tapMarker && map) { map.removeLayer(tapMarker); tapMarker = null; }
  }

  function setPlace(form, lon, lat) {
    form.dataset.lon = lon.toFixed(6);
    form.dataset.lat = lat.toFixed(6);
    say(form.querySelector('.report-place'), fill(T.report_place_set, place(lon, lat)));
  }

  function amenityChoices(panel, terms) {
    var box = panel.querySelector('.report-amenities');
    var list = terms.length ? terms : Object.keys(cfg.amenities);
    list.forEach(function (term, i) {
      var label = document.createElement('label');
      var input = document.createElement('input');
      input.type = 'radio';
      input.name = 'amenity';
      input.value = term;
      if (i === 0) { input.required = true; }
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + (cfg.amenities[term] || term)));
      box.appendChild(label);
    });
  }

  function openPanel(opener) {
    var card = cardOf(opener);
    if (card.querySelector('.report-panel')) { closePanel(card); return; }
    document.querySelectorAll('.report-panel').forEach(function (p) { closePanel(cardOf(p)); });
    var panel = template.content.firstElementChild.cloneNode(true);
    var facility = opener.dataset.facility;
    amenityChoices(panel, (opener.dataset.amenities || '').split(' ').filter(Boolean));
    card.querySelector('.report-row').after(panel);
    opener.setAttribute('aria-expanded', 'true');
    say(statusOf(card), '');

    var kinds = panel.querySelectorAll('.report-kind');
    kinds.forEach(function (button) {
      button.addEventListener('click', function () {
        var kind = button.dataset.kind;
        if (kind === 'closed') {  // one tap
          send({kind: 'closed', facility_id: facility}, statusOf(card), panel);
          closePanel(card);
          opener.focus();
          return;
        }
        var open = button.getAttribute('aria-expanded') !== 'true';
        kinds.forEach(function (b) { if (b.dataset.kind !== 'closed') { b.setAttribute('aria-expanded', 'false'); } });
        panel.querySelectorAll('form.report-more').forEach(function (f) {
          f.hidden = !open || f.dataset.kind !== kind;
        });
        button.setAttribute('aria-expanded', open ? 'true' : 'false');
        var form = panel.querySelector('form[data-kind=' + kind + ']');
        var first = open && form.querySelector('input:not([type=radio]), textarea');
        if (first) { first.focus(); }
      });
    });

    panel.querySelector('.report-here').addEventListener('click', function () {
      var form = panel.querySelector('form[data-kind=moved]');
      var where = form.querySelector('.report-place');
      if (!('geolocation' in navigator) || !window.isSecureContext) {
        say(where, T.report_no_position);
        return;
      }
      say(where, T.report_locating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        setPlace(form, pos.coords.longitude, pos.coords.latitude);
      }, function () { say(where, T.report_no_position); },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
    });

    panel.querySelectorAll('form.report-more').forEach(function (form) {
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var kind = form.dataset.kind, body = {kind: kind, facility_id: facility};
        var data = new FormData(form);
        if (kind === 'moved') {
          if (!form.dataset.lon) {
            say(form.querySelector('.report-place'), T.report_place_needed);
            return;
          }
          body.lon = Number(form.dataset.lon);
          body.lat = Number(form.dataset.lat);
        } else if (kind === 'hours') {
          body.hours_seen = data.get('hours_seen');
        } else if (kind === 'amenity') {
          body.amenity = data.get('amenity');
          body.state = data.get('state');
        } else if (kind === 'phone') {
          if (data.get('phone_seen')) { body.phone_seen = data.get('phone_seen'); }
        } else if (kind === 'other') {
          body.text = data.get('text');
        }
        send(body, statusOf(card), panel);
        closePanel(card);
        opener.focus();
      });
    });
    panel.querySelector('.report-close').addEventListener('click', function () {
      closePanel(card);
      opener.focus();
    });
    panel.scrollIntoView({block: 'nearest'});
    kinds[0].focus();
  }

  function wireRow(row) {
    var opener = row.querySelector('.report-open'), confirm = row.querySelector('.report-confirm');
    if (opener && template) {
      opener.hidden = false;
      opener.addEventListener('click', function () { openPanel(opener); });
    }
    if (confirm) {
      confirm.hidden = false;
      confirm.addEventListener('click', function () {  // one tap
        send({kind: 'confirm', facility_id: confirm.dataset.facility},
             statusOf(cardOf(confirm)), null, confirm);
      });
    }
  }
  document.querySelectorAll('.report-row').forEach(wireRow);

  // the cards phone.js builds from the offline pack (no signal): the same two buttons
  // (the pack has no amenity terms: the panel then offers them all)
  function button(cls, text, facility, name) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn alt ' + cls;
    b.textContent = text;
    b.dataset.facility = facility;
    b.setAttribute('aria-label', text + ' · ' + name);
    return b;
  }
  function decorate(card) {
    if (card.querySelector('.report-row') || !card.dataset.id) { return; }
    var name = (card.querySelector('.name') || card).textContent;
    var row = document.createElement('div');
    row.className = 'report-row';
    var about = document.createElement('div');
    about.className = 'about';
    var address = card.querySelector(':scope > .address');
    if (address) { about.appendChild(address); }
    row.appendChild(about);
    row.appendChild(button('report-confirm', T.report_confirm, card.dataset.id, name));
    var opener = button('report-open', T.report_wrong, card.dataset.id, name);
    opener.dataset.amenities = '';
    opener.setAttribute('aria-expanded', 'false');
    row.appendChild(opener);
    var status = document.createElement('p');
    status.className = 'note report-status';
    status.setAttribute('role', 'status');
    card.appendChild(row);
    card.appendChild(status);
    wireRow(row);
  }
  var offlineBox = document.getElementById('offline-results');
  if (offlineBox && window.MutationObserver) {
    new MutationObserver(function () {
      offlineBox.querySelectorAll('li.facility').forEach(decorate);
    }).observe(offlineBox, {childList: true, subtree: true});
  }

  // ------------------------------------------------------------------ "a station is needed here"
  var needMap = document.querySelector('form.need-map');
  var needStart = document.querySelector('.need-start');
  var needPin = null;
  document.querySelectorAll('form.need-box').forEach(function (form) {
    if (form === needMap && !map) { return; }
    form.hidden = form === needMap;  // the map's waits for its button
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var status = form.querySelector('.report-status');
      if (!form.dataset.lon) { say(form.querySelector('.need-place'), T.report_need_pick); return; }
      var body = {kind: 'need', lon: Number(form.dataset.lon), lat: Number(form.dataset.lat)};
      var work = new FormData(form).get('work');
      if (work) { body.work = work; }
      send(body, status, form, form.querySelector('.need-send'));
    });
  });
  function stopPicking() {
    if (!needMap) { return; }
    needMap.hidden = true;
    needStart.setAttribute('aria-pressed', 'false');
    if (needPin) { map.removeLayer(needPin); needPin = null; }
  }
  if (needMap && needStart && map) {
    needStart.hidden = false;
    needStart.addEventListener('click', function () {
      if (needStart.getAttribute('aria-pressed') === 'true') { stopPicking(); return; }
      needStart.setAttribute('aria-pressed', 'true');
      delete needMap.dataset.lon;
      delete needMap.dataset.lat;
      say(needMap.querySelector('.need-place'), T.report_need_pick);
      say(needMap.querySelector('.report-status'), '');
      needMap.hidden = false;
    });
  }

  // a tap on the map: the right place of a facility that moved (its page), or the place
  // where a station is needed (the map, while its button is pressed)
  if (map && window.L) {
    map.on('click', function (e) {
      var wgs = toWgs(e.latlng.lat, e.latlng.lng);
      var moved = document.querySelector('.report-panel form[data-kind=moved]:not([hidden])');
      if (moved) {
        setPlace(moved, wgs[0], wgs[1]);
        if (tapMarker) { map.removeLayer(tapMarker); }
        tapMarker = L.circleMarker(e.latlng, {radius: 9, color: '#a11', weight: 3,
          fillColor: '#fff', fillOpacity: 1, interactive: false}).addTo(map);
      }
      if (needMap && !needMap.hidden) {
        needMap.dataset.lon = wgs[0].toFixed(6);
        needMap.dataset.lat = wgs[1].toFixed(6);
        say(needMap.querySelector('.need-place'), fill(T.report_need_here, place(wgs[0], wgs[1])));
        needMap.querySelector('.need-send').disabled = false;  // a new place: a new report
        say(needMap.querySelector('.report-status'), '');
        if (needPin) { map.removeLayer(needPin); }
        needPin = L.circleMarker(e.latlng, {radius: 11, color: '#d62728', weight: 4,
          fillColor: '#ffd700', fillOpacity: 1, interactive: false}).addTo(map);
      }
    });
  }
})();
