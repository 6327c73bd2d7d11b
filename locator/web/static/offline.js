// The nearest search of the offline pack (/offline/pack.json), in the browser: the same
// answer as the server's /api/v1/nearest?per_layer=true for the same point and time.
// Distances are geodesic on the WGS-84 ellipsoid (Vincenty's inverse, well under a
// millimetre from the server's Karney geodesics at city scale), times are the server's
// estimates (straight line x 1.3, walking 75 m/min, e-bike 250 m/min), and "open on
// arrival" reads the intervals the server worked out for each hours expression and day.
(function () {
  var A = 6378137.0, F = 1 / 298.257223563, B = A * (1 - F);
  var DETOUR = 1.3, SPEED = {walk: 75.0, ebike: 250.0};
  var rad = Math.PI / 180;

  function vincenty(lon1, lat1, lon2, lat2) {
    var L = (lon2 - lon1) * rad;
    var U1 = Math.atan((1 - F) * Math.tan(lat1 * rad));
    var U2 = Math.atan((1 - F) * Math.tan(lat2 * rad));
    var sinU1 = Math.sin(U1), cosU1 = Math.cos(U1), sinU2 = Math.sin(U2), cosU2 = Math.cos(U2);
    var lambda = L, prev, iter = 0, sinSigma, cosSigma, sigma, cosSqAlpha, cos2SigmaM;
    do {
      var sinLambda = Math.sin(lambda), cosLambda = Math.cos(lambda);
      sinSigma = Math.sqrt(Math.pow(cosU2 * sinLambda, 2) +
                           Math.pow(cosU1 * sinU2 - sinU1 * cosU2 * cosLambda, 2));
      if (sinSigma === 0) { return 0; }
      cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
      sigma = Math.atan2(sinSigma, cosSigma);
      var sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma;
      cosSqAlpha = 1 - sinAlpha * sinAlpha;
      cos2SigmaM = cosSqAlpha !== 0 ? cosSigma - 2 * sinU1 * sinU2 / cosSqAlpha : 0;
      var C = F / 16 * cosSqAlpha * (4 + F * (4 - 3 * cosSqAlpha));
      prev = lambda;
      lambda = L + (1 - C) * F * sinAlpha * (sigma + C * sinSigma *
        (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    } while (Math.abs(lambda - prev) > 1e-12 && ++iter < 200);
    var uSq = cosSqAlpha * (A * A - B * B) / (B * B);
    var bigA = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
    var bigB = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
    var deltaSigma = bigB * sinSigma * (cos2SigmaM + bigB / 4 * (cosSigma *
      (-1 + 2 * cos2SigmaM * cos2SigmaM) - bigB / 6 * cos2SigmaM *
      (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
    return B * bigA * (sigma - deltaSigma);
  }

  // the state ("open", "closed", "unknown") of hours expression `index` at a time
  // (milliseconds since the epoch), read at the minute as the server reads it
  function stateAt(pack, index, ms) {
    if (index < 0) { return 'unknown'; }
    var local = new Date(ms + 8 * 3600 * 1000);  // Asia/Shanghai: UTC+8, no summer time
    var day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
    var offset = Math.round((day - Date.parse(pack.start + 'T00:00:00Z')) / 86400000);
    var days = pack.hours[index];
    if (offset < 0 || offset >= days.length) { return 'unknown'; }
    var minute = local.getUTCHours() * 60 + local.getUTCMinutes();
    var spans = days[offset];
    for (var i = 0; i < spans.length; i++) {
      if (spans[i][0] <= minute && minute < spans[i][1]) {
        return {o: 'open', c: 'closed', u: 'unknown'}[spans[i][2]];
      }
    }
    return 'unknown';
  }

  // hours_status of the server (locator/operations/hours.py), read from the pack: the state
  // at a time (ms since the epoch) and the next change within the look-ahead (8 days, as
  // the server's; fewer near the end of the pack). Times are ms since the epoch, minutes
  // as the server's.
  var LOOKAHEAD_DAYS = 8, MINUTE = 60000, LOCAL = 8 * 3600 * 1000;
  function statusAt(pack, index, ms) {
    var state = stateAt(pack, index, ms);
    var out = {state: state, at: ms, opensAt: null, closesAt: null};
    if (state === 'unknown') { return out; }
    var minute = Math.floor((ms + LOCAL) / MINUTE);  // local minutes since 1970-01-01 00:00
    var start = Date.parse(pack.start + 'T00:00:00Z') / MINUTE;
    var first = Math.floor((minute - start) / 1440), days = pack.hours[index];
    for (var d = first; d < Math.min(first + LOOKAHEAD_DAYS, days.length); d++) {
      for (var i = 0; i < days[d].length; i++) {
        var span = days[d][i], a = start + d * 1440 + span[0], b = start + d * 1440 + span[1];
        if (b <= minute) { continue; }
        if ({o: 'open', c: 'closed', u: 'unknown'}[span[2]] !== state) {
          var change = Math.max(a, minute) * MINUTE - LOCAL;
          if (state === 'open') { out.closesAt = change; } else { out.opensAt = change; }
          return out;
        }
      }
    }
    return out;
  }

  // hours_phrase of the server (the one rule for what a card says of the hours): the state
  // on arrival first when it differs from the state now, else the state now and its change
  function hoursPhrase(now, arrival) {
    function p(key, state, time) { return {key: key, state: state, time: time, ref: now.at}; }
    if (arrival && arrival.state !== now.state) {
      if (now.state === 'open' && arrival.state === 'closed' && now.closesAt !== null) {
        return p('arrive_closed', 'closed', now.closesAt);
      }
      if (now.state === 'closed' && arrival.state === 'open' && now.opensAt !== null) {
        return p('arrive_open', 'open', now.opensAt);
      }
      if (arrival.state !== 'unknown') { return p('arrival_' + arrival.state, arrival.state, null); }
      return p('arrival_unknown_state', 'unknown', null);
    }
    if (now.state === 'open') {
      return now.closesAt === null ? p('open_always', 'open', null)
                                   : p('open_until', 'open', now.closesAt);
    }
    if (now.state === 'closed') {
      return now.opensAt === null ? p('closed', 'closed', null)
                                  : p('closed_until', 'closed', now.opensAt);
    }
    return p('hours_unknown', 'unknown', null);
  }

  // format.clock_text of the server: HH:MM today, else the weekday (within a week) or the date
  function clockText(ms, refMs, weekdays) {
    var when = new Date(ms + LOCAL), ref = new Date(refMs + LOCAL);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    var hhmm = two(when.getUTCHours()) + ':' + two(when.getUTCMinutes());
    var days = Math.round((Date.UTC(when.getUTCFullYear(), when.getUTCMonth(), when.getUTCDate()) -
      Date.UTC(ref.getUTCFullYear(), ref.getUTCMonth(), ref.getUTCDate())) / 86400000);
    if (days === 0) { return hhmm; }
    if (days > 0 && days < 7) { return weekdays[(when.getUTCDay() + 6) % 7] + ' ' + hhmm; }
    return two(when.getUTCMonth() + 1) + '-' + two(when.getUTCDate()) + ' ' + hhmm;
  }

  // format.phrase_text of the server, with the page's texts
  function phraseText(phrase, texts, weekdays) {
    var text = texts[phrase.key];
    if (phrase.time === null) { return text; }
    return text.split('{time}').join(clockText(phrase.time, phrase.ref, weekdays));
  }

  // the k nearest of each layer, in layer order, nearest first (ties by id). With
  // `filter.open` (the server's open_now), only places open on arrival, and with
  // `filter.keepUnknown` (include_unknown_hours) those whose hours then are not known too;
  // the answer's unknownLeftOut says, per layer, how many of those the filter left out
  // (the server's unknown_hours_left_out_by_layer: those among the answer keeping them)
  function nearestByLayer(pack, lon, lat, k, atMs, travel, filter) {
    var speed = SPEED[travel] || SPEED.walk;
    var open = filter && filter.open, keepUnknown = filter && filter.keepUnknown;
    var byLayer = pack.layers.map(function () { return []; });
    pack.facilities.forEach(function (row) {
      byLayer[row[0]].push({row: row, d: vincenty(lon, lat, row[4], row[5])});
    });
    var out = [];
    out.unknownLeftOut = {};
    byLayer.forEach(function (items, layerIndex) {
      items.sort(function (a, b) { return a.d - b.d || (a.row[1] < b.row[1] ? -1 : 1); });
      var picked = 0, lenient = 0, leftOut = 0, count = open && !keepUnknown;
      for (var i = 0; i < items.length && (picked < k || (count && lenient < k)); i++) {
        var item = items[i], minutes = item.d * DETOUR / speed;
        var arrival = stateAt(pack, item.row[9], atMs + minutes * 60000);
        if (count && arrival !== 'closed' && lenient < k) {  // the answer keeping them
          lenient += 1;
          if (arrival === 'unknown') { leftOut += 1; }
        }
        var keep = !open || arrival === 'open' || (keepUnknown && arrival === 'unknown');
        if (!keep || picked >= k) { continue; }
        picked += 1;
        out.push({id: item.row[1], layer: pack.layers[item.row[0]].id, distance_m: item.d,
                  walk_min: item.d * DETOUR / SPEED.walk,
                  ebike_min: item.d * DETOUR / SPEED.ebike,
                  hours: statusAt(pack, item.row[9], atMs),
                  hoursOnArrival: statusAt(pack, item.row[9], atMs + minutes * 60000),
                  arrival: arrival});
      }
      if (leftOut) { out.unknownLeftOut[pack.layers[layerIndex].id] = leftOut; }
    });
    return out;
  }

  // China's published offset (GCJ-02, AMap) from WGS-84, and BD-09 (Baidu) from GCJ-02:
  // the same formulas as the server's prcoords; outside China no offset
  function wgsToGcj(lat, lon) {
    if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) { return [lat, lon]; }
    var a = 6378245.0, ee = 0.00669342162296594323, x = lon - 105.0, y = lat - 35.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
      + (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0
      + (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0
      + (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
      + (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0
      + (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0
      + (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    var radLat = lat / 180.0 * Math.PI, magic = 1 - ee * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * Math.PI);
    dLon = (dLon * 180.0) / (a / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lon + dLon];
  }

  function gcjToBd(lat, lon) {
    var k = Math.PI * 3000.0 / 180.0;
    var z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * k);
    var theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * k);
    return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
  }

  // the moment an address asks about: its at= as the server reads it (no zone: Beijing
  // time), else now (ms since the epoch)
  function moment(at) {
    if (!at) { return Date.now(); }
    var ms = Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(at) ? at : at + '+08:00');
    return isNaN(ms) ? Date.now() : ms;
  }

  // format.distance_text and format.estimates of the server, with the page's texts
  function distanceText(d) {
    return d < 1000 ? Math.max(10, Math.round(d / 10) * 10) + ' m' : (d / 1000).toFixed(1) + ' km';
  }
  function minutesText(n, mode, T, lang) {
    if (n > (mode === 'walk' ? 180 : 360)) { return T[mode === 'walk' ? 'too_far_walk' : 'too_far']; }
    if (n > 60) {
      var total = Math.max(5, Math.round(n / 5) * 5), h = Math.floor(total / 60), m = total % 60;
      var text = lang === 'zh' ? h + ' 小时' + (m ? ' ' + m + ' 分钟' : '')
                               : h + ' h' + (m ? ' ' + m + ' min' : '');
      return T[mode + '_long'].replace('{text}', text);
    }
    return T[mode].replace('{min}', Math.max(1, Math.ceil(n)));
  }

  // the navigation links of the server (web/links.py): AMap in GCJ-02, Baidu in BD-09, and
  // an RFC 5870 geo: URI in WGS-84 that Android hands to any map app
  function navLinks(lon, lat, name, travel, region) {
    var ride = travel === 'ebike', g = wgsToGcj(lat, lon), b = gcjToBd(g[0], g[1]);
    return {
      amap: 'https://uri.amap.com/navigation?' + new URLSearchParams({
        to: g[1].toFixed(6) + ',' + g[0].toFixed(6) + ',' + name, mode: ride ? 'ride' : 'walk',
        coordinate: 'gaode', callnative: '1', src: 'locator'}),
      baidu: 'https://api.map.baidu.com/direction?' + new URLSearchParams({
        destination: 'latlng:' + b[0].toFixed(6) + ',' + b[1].toFixed(6) + '|name:' + name,
        mode: ride ? 'riding' : 'walking', coord_type: 'bd09ll', region: region,
        output: 'html', src: 'locator'}),
      geo: 'geo:' + lat.toFixed(6) + ',' + lon.toFixed(6) + '?q=' + lat.toFixed(6) + ',' +
        lon.toFixed(6) + '(' + encodeURIComponent(name) + ')'
    };
  }

  window.LocatorOffline = {moment: moment, distanceText: distanceText, minutesText: minutesText,
                           navLinks: navLinks,vincenty: vincenty, stateAt: stateAt, statusAt: statusAt,
                           hoursPhrase: hoursPhrase, clockText: clockText,
                           phraseText: phraseText, nearestByLayer: nearestByLayer,
                           wgsToGcj: wgsToGcj, gcjToBd: gcjToBd};
})();
