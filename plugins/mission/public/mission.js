// Mission pages: small enhancements only; every page works without them (no inline scripts: CSP).
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.closest('[data-print]')) window.print();
  });
  // The running total of each referent's time split, so a wrong sum shows before saving.
  function refresh(fieldset) {
    var total = 0;
    fieldset.querySelectorAll('[data-share]').forEach(function (input) {
      var v = Number(input.value);
      if (Number.isFinite(v)) total += v;
    });
    var output = fieldset.querySelector('[data-total]');
    if (!output) return;
    output.textContent = total + ' %' + (total === 100 ? '' : ' (doit faire 100 %)');
    output.classList.toggle('is-wrong', total !== 100);
  }
  document.addEventListener('input', function (event) {
    var fieldset = event.target instanceof HTMLElement && event.target.closest('[data-referent]');
    if (fieldset) refresh(fieldset);
  });
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-referent]').forEach(refresh);
  });
})();
