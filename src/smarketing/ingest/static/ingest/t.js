/* smarketing tracking snippet: page views and form submissions, first-party, no CDN.
 *
 * Include on every page of a tracked site:
 *   <script async src="https://smarketing.example.com/ingest/t.js" data-key="pk_…"></script>
 *
 * It keeps an anonymous visitor id in a first-party cookie (`smk_vid`, one year), records a
 * page view (url, referrer, title, UTM parameters) on load and every form submission (the form
 * id and, when the form has an email field, the email — which ties the visitor to a contact),
 * and sends them in batches to /ingest/collect with navigator.sendBeacon (fetch keepalive as
 * the fallback). Nothing else is read or stored. `window.smarketing.track(type, fields)` and
 * `window.smarketing.identify(email, fields)` are there for custom calls.
 *
 * Sessions: a visit keeps the source it arrived with for 30 minutes of activity (as Google
 * Analytics does): internal pages and UTM-tagged links inside the site do not re-source it.
 * Single-page apps: history.pushState / replaceState / popstate navigations are page views.
 * Privacy: query parameters that carry personal data (email, phone, name, token …) are removed
 * from every URL sent. With Do Not Track or Global Privacy Control on, or `data-consent=
 * "required"` on the script tag, nothing is sent (and no cookie set) until the page calls
 * `smarketing.consent(true)`; `smarketing.consent(false)` stops and forgets the visitor.
 * Clock: every batch carries the browser's `sent_at`; the server corrects a fast or slow
 * device clock with it.
 */
(function () {
  "use strict";
  if (window.smarketing && window.smarketing.loaded) return;
  var script = document.currentScript || document.querySelector("script[data-key][src*='/ingest/t.js']");
  if (!script) return;
  var key = script.getAttribute("data-key");
  var endpoint = script.getAttribute("data-endpoint") || new URL("collect", script.src).href;
  endpoint += (endpoint.indexOf("?") < 0 ? "?" : "&") + "key=" + encodeURIComponent(key);
  var COOKIE = "smk_vid", YEAR = 365 * 24 * 3600, queue = [], timer = null;
  var SESSION_KEY = "smk_session", CONSENT_KEY = "smk_consent", SESSION_MS = 30 * 60 * 1000;
  var PII = /^(e-?mail|email_?address|mail|phone|tel|mobile|name|first_?name|last_?name|fname|lname|full_?name|password|passwd|pass|pwd|token|access_token|auth|ssn|address|street|zip|postcode)$/i;

  function store(name, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(name);
      if (value === null) window.localStorage.removeItem(name);
      else window.localStorage.setItem(name, value);
    } catch (e) { /* storage blocked: sessions fall back to one page */ }
    return null;
  }

  function privacySignal() {
    return navigator.doNotTrack === "1" || window.doNotTrack === "1" ||
      navigator.globalPrivacyControl === true;
  }

  function consented() {
    var stored = store(CONSENT_KEY);
    if (stored === "1") return true;
    if (stored === "0") return false;
    return !(privacySignal() || script.getAttribute("data-consent") === "required");
  }

  function scrub(href) {
    if (!href) return "";
    try {
      var u = new URL(href, location.href), drop = [];
      u.searchParams.forEach(function (v, k) {
        if (PII.test(k) || /[^\s@]+@[^\s@]+\.[^\s@]+/.test(v)) drop.push(k);
      });
      drop.forEach(function (k) { u.searchParams.delete(k); });
      return u.href;
    } catch (e) { return ""; }
  }

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var s = "";
    for (var i = 0; i < 32; i++) s += Math.floor(Math.random() * 16).toString(16);
    return s;
  }

  function visitorId() {
    if (!consented()) return "";
    var m = document.cookie.match(/(?:^|;\s*)smk_vid=([A-Za-z0-9_-]{8,64})/);
    var id = m ? m[1] : uid();
    // Re-set on every page so the one-year expiry slides with the visitor's activity.
    document.cookie = COOKIE + "=" + id + ";path=/;max-age=" + YEAR + ";SameSite=Lax" +
      (location.protocol === "https:" ? ";Secure" : "");
    return id;
  }

  function utm() {
    var out = {}, params = new URLSearchParams(location.search);
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (k) {
      var v = params.get(k);
      if (v) out[k] = v.slice(0, 200);
    });
    return out;
  }

  function externalReferrer() {
    var ref = document.referrer;
    if (!ref) return "";
    try { return new URL(ref).host === location.host ? "" : ref; } catch (e) { return ""; }
  }

  // The session's source: kept for 30 minutes of activity; a new one only when the visitor
  // arrives from outside (another site, a campaign link clicked elsewhere) or comes back later.
  function session() {
    var now = Date.now(), s = null, here = utm(), outside = externalReferrer();
    try { s = JSON.parse(store(SESSION_KEY) || "null"); } catch (e) { s = null; }
    var fresh = !s || now - (s.last || 0) > SESSION_MS ||
      (outside && (Object.keys(here).length || outside !== s.referrer));
    if (fresh) s = { utm: here, referrer: scrub(outside), started: now, landing: location.href };
    s.last = now;
    store(SESSION_KEY, JSON.stringify(s));
    return s;
  }

  function send() {
    timer = null;
    if (!queue.length) return;
    if (!consented()) { queue = []; return; }
    var batch = queue.splice(0, 100);
    var body = JSON.stringify({ events: batch, sent_at: new Date().toISOString() });
    // text/plain keeps this a "simple" CORS request: no preflight, and sendBeacon accepts it.
    var sent = false;
    if (navigator.sendBeacon) {
      try { sent = navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" })); } catch (e) { sent = false; }
    }
    if (!sent && window.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "cors",
        headers: { "Content-Type": "text/plain" } }).catch(function () {});
    }
    if (queue.length) send();
  }

  // The page's URL as sent: without personal data, and without UTM parameters on pages inside a
  // running session (an internal campaign link must not re-source the visit).
  function pageUrl() {
    var href = scrub(location.href), s = null;
    try { s = JSON.parse(store(SESSION_KEY) || "null"); } catch (e) { s = null; }
    if (s && s.landing === location.href) return href;
    try {
      var u = new URL(href);
      ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (k) {
        u.searchParams.delete(k);
      });
      return u.href;
    } catch (e) { return href; }
  }

  function track(type, fields) {
    if (!consented()) return;
    if (!vid) vid = visitorId();
    var event = { type: type, anonymous_id: vid, event_id: uid(),
      occurred_at: new Date().toISOString(), url: pageUrl() };
    for (var k in fields || {}) event[k] = fields[k];
    queue.push(event);
    if (!timer) timer = setTimeout(send, 300);
  }

  function emailOf(form) {
    var field = form.querySelector("input[type=email]") ||
      form.querySelector("input[name*=email i]");
    var value = field && field.value ? field.value.trim() : "";
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? value : "";
  }

  function valueOf(form, names) {
    for (var i = 0; i < names.length; i++) {
      var f = form.querySelector("input[name='" + names[i] + "']");
      if (f && f.value) return f.value.trim().slice(0, 100);
    }
    return "";
  }

  var vid = visitorId(), lastUrl = "";

  function pageView() {
    if (location.href === lastUrl || !consented()) return;
    lastUrl = location.href;
    var s = session();
    track("page_view", { referrer: s.referrer, title: document.title.slice(0, 200), utm: s.utm });
  }
  pageView();

  // Single-page apps change the URL without a load: count each navigation as a page view.
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    if (!original) return;
    history[name] = function () {
      var result = original.apply(this, arguments);
      setTimeout(pageView, 0);
      return result;
    };
  });
  window.addEventListener("popstate", pageView);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || form.hasAttribute("data-smarketing-ignore")) return;
    var fields = { form_id: (form.id || form.getAttribute("name") || form.getAttribute("action") || "form").slice(0, 200) };
    var email = emailOf(form);
    if (email) {
      fields.email = email;
      fields.first_name = valueOf(form, ["first_name", "firstname", "fname"]);
      fields.last_name = valueOf(form, ["last_name", "lastname", "lname"]);
      fields.company = valueOf(form, ["company", "company_name"]);
    }
    var s = session();
    fields.referrer = s.referrer;
    fields.utm = s.utm;
    track("form_submit", fields);
    send(); // the page may unload right after a submit: do not wait for the timer
  }, true);

  // Flush when the page is hidden or left (sendBeacon survives the unload).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
  });
  window.addEventListener("pagehide", send);

  window.smarketing = {
    loaded: true,
    visitorId: vid,
    track: track,
    flush: send,
    identify: function (email, fields) {
      var f = fields || {};
      f.email = email;
      track("identify", f);
      send();
    },
    consent: function (given) {
      store(CONSENT_KEY, given ? "1" : "0");
      if (given) {
        vid = visitorId();
        pageView();
      } else {
        queue = [];
        vid = "";
        store(SESSION_KEY, null);
        document.cookie = COOKIE + "=;path=/;max-age=0;SameSite=Lax";
      }
    }
  };
})();
