/* A share-link view is counted by this POST, sent once the page is shown: the GET that
 * renders the dashboard never writes (bots that fetch the URL without running scripts are
 * not counted either). */
(function () {
  "use strict";
  var el = document.querySelector("[data-share-seen]");
  if (!el) return;
  var url = el.getAttribute("data-share-seen");
  if (navigator.sendBeacon) navigator.sendBeacon(url, "");
  else if (window.fetch) fetch(url, { method: "POST", keepalive: true }).catch(function () {});
})();
