// Small page behaviours declared with data- attributes, so no page needs an inline event
// handler (the Content-Security-Policy allows no inline script without the page's nonce).
//   <select data-autosubmit>          submits its form when changed
//   <button data-copy="ID">           copies the text of element ID to the clipboard
//   <button data-confirm="Question?"> asks before the click goes on
(function () {
  document.addEventListener("change", function (e) {
    var el = e.target.closest && e.target.closest("[data-autosubmit]");
    if (el && el.form) el.form.submit();
  });
  document.addEventListener("click", function (e) {
    var copy = e.target.closest && e.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copy);
      if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent);
    }
    var ask = e.target.closest && e.target.closest("[data-confirm]");
    if (ask && !window.confirm(ask.dataset.confirm)) e.preventDefault();
  });
})();
