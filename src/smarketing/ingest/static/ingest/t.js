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

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var s = "";
    for (var i = 0; i < 32; i++) s += Math.floor(Math.random() * 16).toString(16);
    return s;
  }

  function visitorId() {
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

  function send() {
    timer = null;
    if (!queue.length) return;
    var batch = queue.splice(0, 100);
    var body = JSON.stringify({ events: batch });
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

  function track(type, fields) {
    var event = { type: type, anonymous_id: vid, event_id: uid(),
      occurred_at: new Date().toISOString(), url: location.href };
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

  var vid = visitorId();
  track("page_view", { referrer: document.referrer, title: document.title.slice(0, 200), utm: utm() });

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
    }
  };
})();
