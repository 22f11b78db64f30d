// The issue editor: warn before leaving the page with changes that are not saved. Every button
// of the editor form (save, test, send, schedule) saves what is on screen, so submitting it is no loss.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.querySelector('form[data-unsaved-warning]');
    if (!form) return;
    // A refused form came back with text that is not saved: leaving would lose it.
    var dirty = form.hasAttribute('data-unsaved');
    var leaving = false;
    document.addEventListener('input', function (event) {
      if (event.target && event.target.form === form) dirty = true;
    });
    // On window, after maillon.js's confirmation (on document) had its say: a cancelled send stays dirty.
    window.addEventListener('submit', function (event) {
      if (event.target === form && !event.defaultPrevented) leaving = true;
    });
    window.addEventListener('beforeunload', function (event) {
      if (!dirty || leaving) return;
      event.preventDefault();
      event.returnValue = '';
    });
  });
})();
