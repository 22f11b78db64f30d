// Small enhancements that pages work without. No inline scripts: the CSP forbids them.
(function () {
  'use strict';
  // Forms marked data-confirm ask before a destructive action.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // After a redirect with a message, bring keyboard and screen-reader users to it.
  document.addEventListener('DOMContentLoaded', function () {
    var flash = document.querySelector('.flash-list');
    if (flash && location.hash === '') {
      var main = document.getElementById('contenu');
      if (main) main.focus({ preventScroll: true });
    }
  });
})();
