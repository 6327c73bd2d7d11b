// A facility's details with no network. The service worker answers /f/<id> with the page
// /offline/facility (templates/offline_facility.html) when the network fails and no copy
// of that facility's page is kept; this fills it from the offline pack, for any facility
// the pack holds: name, address, the hours (on arrival when the address names a starting
// point: lon, lat, travel, at; worded by the server's rule, mirrored in offline.js), the
// week ahead, amenities, phone or the union hotline, and navigation (AMap GCJ-02, Baidu
// BD-09, geo:). Data goes into the page as text (textContent), never as HTML.
(function () {
  var cfgEl = document.getElementById('details-config');
  var box = document.getElementById('offline-facility');
  var m = location.pathname.match(/^\/f\/([^/]+)$/);
  if (!cfgEl || !box || !m) { return; }  // the page itself, online: nothing to fill
  var cfg = JSON.parse(cfgEl.textContent), T = cfg.texts, O = window.LocatorOffline;
  var id = decodeURIComponent(m[1]), args = new URLSearchParams(location.search);
  var DETOUR = 1.3, SPEED = {walk: 75.0, ebike: 250.0};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function fill(text, key, value) { return text.split('{' + key + '}').join(value); }
  function say(text) { box.replaceChildren(el('p', 'note offline-missing', text)); }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function hhmm(minute) { return two(Math.floor(minute / 60)) + ':' + two(minute % 60); }

  function render(pack) {
    var row = pack.facilities.find(function (r) { return r[1] === id; });
    if (!row) { say(T.offline_details_missing); return; }
    var layer = pack.layers[row[0]], en = cfg.lang === 'en';
    var name = en && row[3] ? row[3] : row[2];
    var travel = args.get('travel') === 'ebike' ? 'ebike' : 'walk';
    var atMs = O.moment(args.get('at'));
    box.replaceChildren();
    box.dataset.id = id;
    box.appendChild(el('p', 'sample-banner offline-banner',
      fill(fill(T.offline_banner, 'version', pack.version.slice(0, 8)), 'day', pack.start)));
    var title = el('h2', 'name', name);
    if (en && !row[3]) { title.lang = 'zh-CN'; }
    box.appendChild(title);
    if (row[3]) {
      var other = el('p', 'note', en ? row[2] : row[3]);
      other.lang = en ? 'zh-CN' : 'en';
      box.appendChild(other);
    }
    var kind = el('p', '', en ? layer.name_en : layer.name_zh);
    if (layer.sample) { kind.appendChild(el('span', 'tag-sample', ' · ' + T.sample)); }
    box.appendChild(kind);

    // the trip from the card's starting point, and the hours: on arrival first
    var lon = Number(args.get('lon')), lat = Number(args.get('lat')), arrival = null;
    var now = O.statusAt(pack, row[9], atMs);
    if (args.get('lon') && args.get('lat') && isFinite(lon) && isFinite(lat)) {
      var d = O.vincenty(lon, lat, row[4], row[5]);
      var walk = d * DETOUR / SPEED.walk, ebike = d * DETOUR / SPEED.ebike;
      var first = travel === 'ebike' ? [[ebike, 'ebike'], [walk, 'walk']]
                                     : [[walk, 'walk'], [ebike, 'ebike']];
      var trip = el('p', 'meta trip');
      trip.appendChild(el('span', 'distance', O.distanceText(d)));
      first.forEach(function (e, i) {
        trip.appendChild(document.createTextNode(' · '));
        trip.appendChild(el('span', 'estimate' + (i === 0 ? ' primary' : ''),
                            O.minutesText(e[0], e[1], T, cfg.lang)));
      });
      // offline there is no street network: say the figures are straight-line estimates
      trip.appendChild(document.createTextNode(' · '));
      trip.appendChild(el('small', 'basis', T.straight_estimate));
      trip.dataset.measured = 'straight-line';
      box.appendChild(trip);
      arrival = O.statusAt(pack, row[9], atMs + (travel === 'ebike' ? ebike : walk) * 60000);
    }
    var phrase = O.hoursPhrase(now, arrival);
    var hours = el('p', 'hours state-' + phrase.state);
    var words = el('span', '', O.phraseText(phrase, T, cfg.weekdays));
    words.dataset.phrase = phrase.key;
    hours.appendChild(words);
    box.appendChild(hours);

    var nav = O.navLinks(row[4], row[5], row[2], travel, cfg.region);
    var phone = row[7] ? row[7].split(';')[0].trim() : '';
    var actions = el('div', 'actions');
    [[nav.amap, 'btn nav-amap', T.navigate + ' · ' + T.amap],
     // no phone and no hotline in the city profile: no call button
     phone || cfg.hotline ? ['tel:' + (phone || cfg.hotline), phone ? 'btn' : 'btn alt hotline-fallback',
                             phone ? T.call : T.hotline_fallback] : null,
     [nav.baidu, 'btn alt nav-baidu', T.baidu],
     [nav.geo, 'btn alt nav-geo', T.geo]].filter(Boolean).forEach(function (l) {
      var a = el('a', l[1], l[2]);
      a.href = l[0];
      actions.appendChild(a);
    });
    box.appendChild(actions);

    var table = el('table', 'offline-details');
    function line(head, cell) {
      var tr = el('tr');
      tr.appendChild(el('th', '', head));
      tr.appendChild(cell);
      table.appendChild(tr);
    }
    var address = el('td', 'address', row[6] || '—');
    address.lang = 'zh-CN';
    line(T.address, address);
    var tel = el('td');
    if (phone) {
      var call = el('a', '', row[7]);
      call.href = 'tel:' + phone;
      tel.appendChild(call);
    } else {
      tel.textContent = T.no_phone;
    }
    line(T.phone, tel);
    var amenities = el('td');
    if (row[8].length) {
      var chips = el('ul', 'amenities');
      row[8].forEach(function (term) { chips.appendChild(el('li', '', cfg.amenities[term] || term)); });
      amenities.appendChild(chips);
    } else {
      amenities.textContent = T.amenities_unknown;
    }
    line(T.amenities, amenities);
    box.appendChild(table);

    // the week ahead from the pack's intervals (Asia/Shanghai days)
    box.appendChild(el('h2', '', T.hours));
    var week = el('table', 'week');
    var local = new Date(atMs + 8 * 3600 * 1000);
    var today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
    var offset = Math.round((today - Date.parse(pack.start + 'T00:00:00Z')) / 86400000);
    for (var i = 0; i < 7; i++) {
      var dayMs = today + i * 86400000, day = new Date(dayMs), k = offset + i;
      var spans = row[9] >= 0 && k >= 0 && k < pack.hours[row[9]].length ? pack.hours[row[9]][k]
                                                                          : null;
      var open = (spans || []).filter(function (s) { return s[2] === 'o'; });
      var tr = el('tr', i === 0 ? 'today' : '');
      tr.appendChild(el('th', '', cfg.weekdays[(day.getUTCDay() + 6) % 7] + ' ' +
        two(day.getUTCMonth() + 1) + '-' + two(day.getUTCDate()) +
        (i === 0 ? ' (' + T.today + ')' : '')));
      tr.appendChild(el('td', '', open.length ? open.map(function (s) {
        return hhmm(s[0]) + '–' + hhmm(Math.min(s[1], 1439));
      }).join(', ') : spans && spans.every(function (s) { return s[2] === 'c'; })
        ? T.day_closed : T.day_unknown));
      week.appendChild(tr);
    }
    box.appendChild(week);
    document.title = name;
  }

  fetch('/offline/pack.json').then(function (r) {
    if (!r.ok) { throw new Error(r.status); }
    return r.json();
  }).then(render).catch(function () { say(T.no_pack); });
})();
