// Service worker: keeps the app shell and an offline page. Pages come from the network; wizard
// steps an applicant has opened are also kept, in a cache of their account's tag, and shown
// from it only when the network fails and only while that account is the one signed in here.
// Drafts and the outbox live in IndexedDB, not here, so a new worker never drops them.
const SHELL = "shell-{{ version }}";
const OFFLINE_URL = "{{ url_for('pwa.offline') }}";
const PRECACHE = {{ precache | tojson }};
// The account of the last page the network gave (its X-Account-Tag), kept across restarts.
const ACCOUNT = "account";
const STEP_PAGE = /^\/applications\/[^/]+\/[a-z_]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("shell-") && key !== SHELL).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

async function signedIn() {
  const hit = await caches.match("/account-tag", { cacheName: ACCOUNT });
  return hit ? hit.text() : "";
}

// Remembers whose page the network gave; a wizard step is kept whole for that account.
async function keep(url, response) {
  const tag = response.headers.get("X-Account-Tag") || "";
  await (await caches.open(ACCOUNT)).put("/account-tag", new Response(tag));
  if (tag && response.ok && !response.redirected && STEP_PAGE.test(new URL(url).pathname)) {
    await (await caches.open("pages-" + tag)).put(url, response);
  }
}

async function navigate(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    event.waitUntil(keep(request.url, response.clone()));
    return response;
  } catch (error) {
    return (await keptPage(request.url)) || caches.match(OFFLINE_URL);
  }
}

async function keptPage(url) {
  const tag = await signedIn();
  return tag && caches.match(url, { cacheName: "pages-" + tag });
}

// htmx brings a step as a fragment: the whole page is fetched beside it, so that the step opens
// offline later (about 2 KB a step). Offline, htmx is sent to the kept page by a full load.
async function fragment(event) {
  const url = event.request.url;
  try {
    const response = await fetch(event.request);
    if (response.ok && STEP_PAGE.test(new URL(url).pathname)) {
      event.waitUntil(fetch(url).then((page) => keep(url, page)).catch(() => {}));
    }
    return response;
  } catch (error) {
    if (await keptPage(url)) return new Response("", { headers: { "HX-Redirect": url } });
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
    return;
  }
  if (request.headers.get("HX-Request")) {
    event.respondWith(fragment(event));
    return;
  }
  if (new URL(request.url).pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

// Background Sync: sending needs the CSRF token of a signed-in page, which the worker has not, so
// it asks the open pages to send their outbox; with none open, the next page loaded sends it.
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((pages) => pages.forEach((page) => page.postMessage("send-outbox")))
  );
});
