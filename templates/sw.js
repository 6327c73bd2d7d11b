// The service worker: the phone page works with no signal after one visit with it.
// Release {{ build }}: a new release changes this file, so the browser installs the new
// worker, which drops the old caches. Pages and the pack go to the network first (fresh
// whenever there is signal), and fall back to what was cached.
const CACHE = 'locator-{{ build }}';
const SHELL = {{ shell | tojson }};
const OFFLINE_PAGE = {{ offline_page | tojson }};

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request, key, keepOnly) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      if (keepOnly) {  // one pack at a time: the newest
        for (const old of await cache.keys()) {
          if (new URL(old.url).pathname === keepOnly) { await cache.delete(old); }
        }
      }
      await cache.put(key || request, response.clone());
    }
    return response;
  } catch (err) {
    const hit = await cache.match(key || request) ||
      (keepOnly && await cache.match(request, {ignoreSearch: true}));
    if (hit) { return hit; }
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  if (request.mode === 'navigate') {
    if (url.pathname === '/') {  // every "/?..." falls back to the page itself
      event.respondWith(url.search
        ? fetch(request).catch(() => caches.open(CACHE).then((c) => c.match('/')))
        : networkFirst(request, '/'));
    } else if (url.pathname.startsWith('/f/')) {  // facility pages seen stay available
      event.respondWith(networkFirst(request));
    } else {  // the map and the rest need the network: say so, and point to the list
      event.respondWith(fetch(request).catch(() => new Response(OFFLINE_PAGE,
        {headers: {'Content-Type': 'text/html; charset=utf-8'}})));
    }
    return;
  }
  if (url.pathname === '/offline/pack.json') {
    event.respondWith(networkFirst(request, undefined, '/offline/pack.json'));
  } else if (url.pathname.startsWith('/static/app/') || url.pathname.startsWith('/icons/')) {
    event.respondWith(caches.open(CACHE).then((c) => c.match(request)
      .then((hit) => hit || fetch(request))));
  }
});
