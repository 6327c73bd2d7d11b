// The phone page with no signal. Online, it installs the service worker (sw.js) and, once
// the page has shown its results, fetches the day's offline pack so that the worker keeps
// it. Offline (the worker serves the cached page), "Locate me" and the town picker answer
// from the pack in the page: the same facilities in the same order as the server's, said
// to be offline and how old the data is.
(function () {
  var cfgEl = document.getElementById('phone-config');
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.texts;
  var pack = null, travel = cfg.travel;

  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
  }
  function loadPack() {
    if (pack) { return Promise.resolve(pack); }
    var url = navigator.onLine ? cfg.pack : '/offline/pack.json';
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (p) { pack = p; return p; });
  }
  // the worker keeps what it fetches: on a first visit, wait until it controls the page
  function whenControlled() {
    var sw = navigator.serviceWorker;
    if (!sw || sw.controller || !window.isSecureContext) { return Promise.resolve(); }
    return new Promise(function (resolve) {
      sw.addEventListener('controllerchange', resolve, {once: true});
      setTimeout(resolve, 15000);  // a worker that never comes: load the pack anyway
    });
  }
  window.addEventListener('load', function () {  // after the first results are on screen
    setTimeout(function () {
      whenControlled().then(function () {
        // this page in this language, kept by the worker for offline use
        fetch('/?lang=' + cfg.lang).catch(function () {});
        return loadPack();
      }).catch(function () {});
    }, 300);
  });
  function fill(text, key, value) { return text.split('{' + key + '}').join(value); }
  function noPack() {
    document.querySelectorAll('.locate-msg').forEach(function (m) { m.textContent = T.no_pack; });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function minutes(n, mode) { return LocatorOffline.minutesText(n, mode, T, cfg.lang); }
  function distance(d) { return LocatorOffline.distanceText(d); }
  function links(row, lon, lat, args) {
    var nav = LocatorOffline.navLinks(row[4], row[5], row[2], travel, cfg.region);
    // the details of the trip from here, as the server's card links them
    var trip = new URLSearchParams({lon: lon.toFixed(6), lat: lat.toFixed(6),
                                    travel: travel});
    if (args.get('at')) { trip.set('at', args.get('at')); }
    if (cfg.lang === 'en') { trip.set('lang', 'en'); }
    return [[nav.amap, 'btn nav-amap', T.navigate_amap],
            ['/f/' + encodeURIComponent(row[1]) + '?' + trip.toString(), 'btn alt details',
             T.details],
            [nav.baidu, 'btn alt nav-baidu', T.baidu]];
  }

  function render(lon, lat, where) {
    return loadPack().then(function (p) {
      var byId = {};
      p.facilities.forEach(function (row) { byId[row[1]] = row; });
      var args = new URLSearchParams(location.search), yes = /^(true|1|yes|on)$/i;
      var filter = {open: yes.test(args.get('open_now') || ''),
                    keepUnknown: yes.test(args.get('include_unknown_hours') || '')};
      var atMs = LocatorOffline.moment(args.get('at'));
      // the way of travel the address asks for, as the server reads it, else the page's
      travel = /^(walk|ebike)$/.test(args.get('travel') || '') ? args.get('travel') : cfg.travel;
      var results = LocatorOffline.nearestByLayer(p, lon, lat, 3, atMs, travel, filter);
      var box = document.getElementById('offline-results');
      box.replaceChildren();
      box.appendChild(el('p', 'sample-banner offline-banner',
        fill(fill(T.offline_banner, 'version', p.version.slice(0, 8)), 'day', p.start)));
      // offline, every figure is the straight-line estimate (the pack has no street network)
      box.appendChild(el('p', 'note offline-estimates', T.offline_estimates));
      if (p.not_packed.length) {
        box.appendChild(el('p', 'note not-packed', fill(T.not_packed, 'layers',
          p.not_packed.map(function (l) { return cfg.lang === 'zh' ? l.name_zh : l.name_en; })
            .join(cfg.lang === 'zh' ? '、' : ', '))));
      }
      box.appendChild(el('p', 'meta', where));
      p.layers.forEach(function (layer) {
        var section = el('section', 'layer');
        section.dataset.layer = layer.id;
        section.appendChild(el('h2', '', cfg.lang === 'zh' ? layer.name_zh : layer.name_en));
        var list = el('ol', 'results');
        results.filter(function (r) { return r.layer === layer.id; }).forEach(function (r) {
          var row = byId[r.id];
          var li = el('li', 'facility');
          li.dataset.id = r.id;
          li.appendChild(el('h3', 'name', cfg.lang === 'en' && row[3] ? row[3] : row[2]));
          var first = travel === 'ebike' ? [r.ebike_min, 'ebike', r.walk_min, 'walk']
                                             : [r.walk_min, 'walk', r.ebike_min, 'ebike'];
          var meta = el('div', 'meta', distance(r.distance_m) + ' · ' +
            minutes(first[0], first[1]) + ' · ' + minutes(first[2], first[3]) + ' · ');
          meta.dataset.measured = 'straight-line';
          meta.appendChild(el('small', 'basis', T.straight_estimate));
          li.appendChild(meta);
          // the server's words: the state on arrival first when it differs from now
          var phrase = LocatorOffline.hoursPhrase(r.hours, r.hoursOnArrival);
          var hours = el('div', 'hours state-' + phrase.state,
                         LocatorOffline.phraseText(phrase, T, cfg.weekdays));
          hours.dataset.phrase = phrase.key;
          li.appendChild(hours);
          // as the server's card: navigate first, then the details, Baidu and the call
          var actions = el('div', 'actions');
          // no phone and no hotline in the city profile: no call button
          var call = row[7] || cfg.hotline ? el('a', row[7] ? 'btn' : 'btn alt hotline-fallback',
                                                row[7] ? T.call : T.hotline_fallback) : null;
          if (call) { call.href = 'tel:' + (row[7] ? row[7].split(';')[0].trim() : cfg.hotline); }
          links(row, lon, lat, args).forEach(function (l, i) {
            var a = el('a', l[1], l[2]);
            a.href = l[0];
            actions.appendChild(a);
            if (i === 2 && call) { actions.appendChild(call); }
          });
          li.appendChild(actions);
          if (row[8].length) {
            var chips = el('ul', 'amenities');
            chips.className = 'amenities icons';
            chips.setAttribute('aria-label', T.amenities);
            row[8].forEach(function (term) {  // as the server's card: icons, names for readers
              var a = cfg.amenities[term] || [term, '•'], chip = el('li', '');
              chip.title = a[0];
              var icon = el('span', '', a[1]);
              icon.setAttribute('aria-hidden', 'true');
              chip.appendChild(icon);
              chip.appendChild(el('span', 'sr-only', a[0]));
              chips.appendChild(chip);
            });
            li.appendChild(chips);
          }
          if (row[6]) { li.appendChild(el('div', 'note address', row[6])); }
          list.appendChild(li);
        });
        section.appendChild(list);
        var leftOut = results.unknownLeftOut[layer.id];
        if (leftOut) {  // as the server says it: how many, and a way to show them
          var note = el('p', 'note unknown-left-out', fill(T.unknown_left_out, 'n', leftOut) + ' ');
          note.dataset.count = leftOut;
          var show = el('a', 'btn alt show-unknown', T.show_unknown);
          var here = new URLSearchParams(args);
          if (!here.get('town') || where.indexOf(lat.toFixed(5)) >= 0) {
            here.delete('town');
            here.set('lon', lon.toFixed(6));
            here.set('lat', lat.toFixed(6));
          }
          here.set('include_unknown_hours', 'true');
          show.href = '/?' + here.toString();
          note.appendChild(show);
          section.appendChild(note);
        }
        box.appendChild(section);
      });
      box.hidden = false;
      box.scrollIntoView();
    });
  }

  function offline() { return !navigator.onLine; }
  // "Locate me" and the town picker, offline: answered here instead of by the server
  window.LocatorPhone = {
    offline: offline,
    locate: function (lon, lat) {
      return render(lon, lat, fill(fill(T.position, 'lat', lat.toFixed(5)), 'lon',
                                   lon.toFixed(5))).catch(noPack);
    }
  };
  document.querySelectorAll('.town-form').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      if (!offline()) { return; }
      e.preventDefault();
      var code = form.querySelector('select').value;
      answerTown(code);
    });
  });
  function answerTown(code) {
    return loadPack().then(function (p) {
      var town = p.towns.find(function (t) { return t[0] === code; });
      if (town) { return render(town[3], town[4], fill(T.position_town, 'town', town[1])); }
    }).catch(noPack);
  }
  // a results address that the server did not answer (the worker showed the kept page:
  // no network, or none behind a connection the phone thinks is fine): the pack answers
  var q = new URLSearchParams(location.search);
  if (!document.getElementById('results') && ((q.get('lon') && q.get('lat')) || q.get('town'))) {
    window.addEventListener('load', function () {
      if (q.get('town')) { answerTown(q.get('town')); return; }
      window.LocatorPhone.locate(Number(q.get('lon')), Number(q.get('lat')));
    });
  }
})();
