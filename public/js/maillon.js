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
  // Progress bars of background jobs (<progress data-poll="URL">) follow the job until it ends.
  function follow(bar) {
    var text = bar.parentElement && bar.parentElement.querySelector('[data-progress-text]');
    var timer = setInterval(function () {
      fetch(bar.dataset.poll, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (job) {
          if (!job) return clearInterval(timer);
          if (job.total !== null) {
            bar.max = job.total;
            bar.value = job.done;
            bar.textContent = job.done + ' sur ' + job.total;
            if (text) text.textContent = job.done.toLocaleString('fr-FR') + ' / ' + job.total.toLocaleString('fr-FR');
          }
          if (job.state !== 'running' && job.state !== 'queued') clearInterval(timer);
        })
        .catch(function () { clearInterval(timer); });
    }, 1500);
  }
  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('progress[data-poll]'), follow);
  });
})();
