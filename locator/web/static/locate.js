// "Locate me": the browser's GPS (WGS-84) -> /?lon=&lat=. Without it the town form works.
// Browsers allow geolocation only in a secure context (HTTPS or localhost): elsewhere the
// buttons stay hidden and the page says why, so the town picker comes first.
(function () {
  var texts = document.getElementById('locate-texts');
  var buttons = document.querySelectorAll('.locate-btn');
  var msgs = document.querySelectorAll('.locate-msg');
  if (!texts || !buttons.length) { return; }
  function say(text) { msgs.forEach(function (m) { m.textContent = text; }); }
  function pickTown() {
    var select = document.getElementById('town');
    if (select) { select.scrollIntoView({block: 'center'}); select.focus(); }
  }
  if (!window.isSecureContext || !('geolocation' in navigator)) {
    say(texts.dataset.insecure);
    document.documentElement.classList.add('no-locate');
    return;
  }
  var reasons = {1: 'denied', 2: 'unavailable', 3: 'timeout'};
  buttons.forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      say(texts.dataset.locating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        if (window.LocatorPhone && window.LocatorPhone.offline()) {  // no signal: the pack
          say('');
          window.LocatorPhone.locate(pos.coords.longitude, pos.coords.latitude);
          return;
        }
        var q = new URLSearchParams(window.location.search);
        q.delete('town');
        q.set('lon', pos.coords.longitude.toFixed(6));
        q.set('lat', pos.coords.latitude.toFixed(6));
        q.set('coord', 'wgs84');
        window.location.search = q.toString();
      }, function (err) {
        say(texts.dataset[reasons[err.code] || 'unavailable']);
        pickTown();
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  });
})();
