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

// a connection that stalls is no better than none: after this, the kept copy answers
const NETWORK_TIMEOUT_MS = 8000;

function fetchWithin(request) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), NETWORK_TIMEOUT_MS);
  return fetch(request, {signal: abort.signal}).finally(() => clearTimeout(timer));
}

async function keep(cache, key, response, keepOnly) {
  try {
    if (keepOnly) {  // one pack at a time: the newest
      for (const old of await cache.keys()) {
        if (new URL(old.url).pathname === keepOnly) { await cache.delete(old); }
      }
    }
    await cache.put(key, response);
  } catch (err) { /* storage full: the answer still goes to the page */ }
}

// a server whose database is away answers 503: the copy kept here serves the rider
// better, as with no network at all (and without one, the 503 goes to the page)
function usable(response) {
  if (response.status === 503) { throw response; }
  return response;
}

function orAnswer(err) {
  return err instanceof Response ? err : Promise.reject(err);
}

async function networkFirst(request, key, keepOnly) {
  const cache = await caches.open(CACHE);
  try {
    const response = usable(await fetchWithin(request));
    if (response.ok) { keep(cache, key || request, response.clone(), keepOnly); }
    return response;
  } catch (err) {
    const hit = await cache.match(key || request) ||
      (keepOnly && await cache.match(request, {ignoreSearch: true}));
    if (hit) { return hit; }
    return orAnswer(err);
  }
}

// the app's own page where the network is needed and nothing kept answers: never the
// browser's error page
function offlinePage() {
  return new Response(OFFLINE_PAGE, {headers: {'Content-Type': 'text/html; charset=utf-8'}});
}

// a facility's details with no network: the page kept for it, else the offline details
// page (details.js builds it from the pack, for every facility the pack holds)
async function facilityDetails(url, answer) {
  const lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh';
  const hit = await (await caches.open(CACHE)).match('/offline/facility?lang=' + lang);
  return hit || answer || offlinePage();
}

// ------------------------------------------------------------- reports with no signal
// A report (POST /api/v1/reports) that cannot reach the server is kept in IndexedDB and
// answered 202 {"status": "queued"}; it is sent when the network is back (Background
// Sync where the browser has it, else when a page says it is online or loads), then
// dropped from the queue and the pages are told. Each report carries the client_id the
// page made: sent twice (the worker stopped between the server's answer and the drop),
// the server answers with the same report, so it is stored exactly once.
const REPORTS = '/api/v1/reports';
const QUEUE_DB = 'locator-reports';
const QUEUE = 'queue';
const SYNC_TAG = 'locator-reports';

function queueDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(QUEUE_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(QUEUE, {keyPath: 'client_id'});
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function queueDo(mode, work) {
  const db = await queueDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(QUEUE, mode);
      const result = work(tx.objectStore(QUEUE));
      tx.oncomplete = () => resolve(result.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);  // e.g. the storage quota is full
    });
  } finally { db.close(); }
}

async function tell(message) {
  for (const client of await self.clients.matchAll({includeUncontrolled: true})) {
    client.postMessage({type: 'locator-report', ...message});
  }
}

async function sendOrQueue(request) {
  const body = await request.clone().text();
  try {
    // a server that cannot store it now (its database away: 503; a proxy's 502 or 504
    // while the app restarts): kept, as with no network
    const response = await fetchWithin(request);
    if (response.status >= 500) { throw response; }
    return response;
  } catch (err) {
    let clientId = null;
    try { clientId = JSON.parse(body).client_id; } catch (e) { /* not JSON */ }
    if (!clientId) { return Response.error(); }
    await queueDo('readwrite', (store) => store.put({client_id: clientId, body: body,
                                                     queued_at: Date.now()}));
    if (self.registration.sync) {
      self.registration.sync.register(SYNC_TAG).catch(() => {});
    }
    return new Response(JSON.stringify({status: 'queued', client_id: clientId}),
                        {status: 202, headers: {'Content-Type': 'application/json'}});
  }
}

// one flush at a time; in the order they were made; one that cannot go yet (no network,
// 429, a server error) stops the rest until the next chance, a refused one is dropped
// a chance that comes while a flush is under way (the network is back while a sync
// attempt is failing) is not lost: the flush runs once more after it
let flushing = null;
let again = false;
function flushReports() {
  if (flushing) {
    again = true;
    return flushing;
  }
  flushing = (async () => {
    try {
      for (;;) {
        again = false;
        try {
          await flushQueue();
        } catch (err) {
          if (!again) { throw err; }
          continue;
        }
        if (!again) { return; }
      }
    } finally { flushing = null; }
  })();
  return flushing;
}

async function flushQueue() {
  const items = (await queueDo('readonly', (store) => store.getAll()))
    .sort((a, b) => a.queued_at - b.queued_at);
  for (const item of items) {
    const response = await fetchWithin(new Request(REPORTS, {
      method: 'POST', body: item.body, headers: {'Content-Type': 'application/json'},
      credentials: 'same-origin'}));
    if (response.status === 429 || response.status >= 500) {
      throw new Error('not now: ' + response.status);
    }
    await queueDo('readwrite', (store) => store.delete(item.client_id));
    let detail = '';
    if (!response.ok) {
      try { detail = (await response.json()).detail || ''; } catch (e) { /* no body */ }
    }
    await tell({client_id: item.client_id, state: response.ok ? 'sent' : 'failed',
                status: response.status, detail: detail || String(response.status)});
  }
}

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) { event.waitUntil(flushReports()); }
});

// a page says the network is back: it may take a moment longer to carry requests, so a
// failed flush is tried again a few times, a second apart
async function flushSoon(tries) {
  for (let i = 0; i < tries; i++) {
    try {
      await flushReports();
      return;
    } catch (err) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'locator-flush-reports') {
    event.waitUntil(flushSoon(5));
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method === 'POST' && url.origin === self.location.origin &&
      url.pathname === REPORTS) {
    event.respondWith(sendOrQueue(request));
    return;
  }
  if (request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  // the phone page is kept once per language ("/?lang=zh", "/?lang=en"): the page
  // follows the visitor's language, so one copy for all would switch it offline
  const shell = '/?lang=' + (url.searchParams.get('lang') || 'zh');
  const onlyLang = [...url.searchParams.keys()].every((k) => k === 'lang');
  if (url.pathname === '/' && onlyLang && (request.mode === 'navigate' || url.search)) {
    event.respondWith(networkFirst(request, url.search ? shell : '/')
      .catch((err) => request.mode === 'navigate' ? offlinePage() : Promise.reject(err)));
    return;
  }
  if (request.mode === 'navigate') {
    if (url.pathname === '/') {  // a results address falls back to the page itself
      event.respondWith(fetchWithin(request).then(usable).catch((err) => caches.open(CACHE)
        .then((c) => c.match(shell).then((hit) => hit || c.match('/')))
        .then((hit) => hit || (err instanceof Response ? err : offlinePage()))));
    } else if (url.pathname.startsWith('/f/')) {
      // facility pages seen stay available; any other facility of the pack is built
      // from it (a server whose database is away answers 503: the same)
      event.respondWith(networkFirst(request)
        .then((r) => (r.status === 503 ? facilityDetails(url, r) : r))
        .catch(() => facilityDetails(url)));
    } else {  // the map and the rest need the network: say so, and point to the list
      event.respondWith(fetch(request).catch(offlinePage));
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
