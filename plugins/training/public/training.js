// Training pages: small enhancements only; every page works without them.
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.closest('[data-print]')) window.print();
  });
})();
