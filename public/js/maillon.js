// Small enhancements that pages work without. No inline scripts: the CSP forbids them.
(function () {
  'use strict';
  // Forms, or the buttons that submit them, marked data-confirm ask before a destructive action.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.dataset && submitter.dataset.confirm) || (form instanceof HTMLFormElement && form.dataset.confirm);
    if (question && !window.confirm(question)) event.preventDefault();
  });
  // On narrow screens the main bar folds behind its « Menu » button (see .main-nav--collapsible).
  document.addEventListener('DOMContentLoaded', function () {
    var toggle = document.querySelector('.main-nav__toggle');
    var nav = toggle && toggle.closest('.main-nav');
    if (!nav) return;
    nav.classList.add('main-nav--collapsible');
    toggle.hidden = false;
    toggle.addEventListener('click', function () {
      toggle.setAttribute('aria-expanded', toggle.getAttribute('aria-expanded') === 'true' ? 'false' : 'true');
    });
    // Escape folds an open menu and gives the focus back to its button, as for any disclosure.
    nav.addEventListener('keydown', function (event) {
      if (event.key !== 'Escape' || toggle.getAttribute('aria-expanded') !== 'true') return;
      toggle.setAttribute('aria-expanded', 'false');
      toggle.focus();
    });
  });
  // A table wider than the screen (a phone) scrolls in a box of its own instead of widening the
  // whole page: the site's tables and those of rendered Markdown (.prose). The box takes the
  // focus so the keyboard can scroll it, and is named after the table's caption or the heading
  // above it.
  // The room is the parent's content box (clientWidth counts its padding); a parent that grew to
  // the table's width (a grid or flex column) leaves no room test true, so the viewport is the
  // other limit.
  function overflows(table, parent) {
    var style = window.getComputedStyle(parent);
    var room = parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return table.scrollWidth > room || table.getBoundingClientRect().right > document.documentElement.clientWidth;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var tables = document.querySelectorAll('table.table, .prose table');
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      var parent = table.parentElement;
      if (!parent || parent.classList.contains('table-scroll') || !overflows(table, parent)) continue;
      var box = document.createElement('div');
      box.className = 'table-scroll';
      box.setAttribute('role', 'region');
      box.tabIndex = 0;
      var caption = table.caption ? table.caption.textContent : '';
      // The nearest heading before the table, among its siblings then those of its ancestors
      // (a lesson's title sits beside the Markdown that holds the table).
      var heading = null;
      for (var level = table; level && !heading && level.tagName !== 'MAIN'; level = level.parentElement) {
        for (var node = level.previousElementSibling; node && !heading; node = node.previousElementSibling) {
          if (/^H[1-6]$/.test(node.tagName)) heading = node;
        }
      }
      box.setAttribute('aria-label', (caption || (heading && heading.textContent) || document.title).trim() + ' (tableau défilant)');
      parent.insertBefore(box, table);
      box.appendChild(table);
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
  // A refused form comes back with a summary of what to correct: it takes the focus (after the
  // message above, which would otherwise take it), so it is read first and its links come next.
  document.addEventListener('DOMContentLoaded', function () {
    var summary = document.querySelector('[data-error-summary]');
    if (summary instanceof HTMLElement) summary.focus();
  });
  /**
   * Mention suggestions for a <textarea data-mention-source="URL" data-mention-list="ID"
   * data-mention-status="ID">: after « @ » and a letter, the people URL?q= returns ({ people:
   * [{ handle, name, role?, department? }] }) appear in the listbox: arrows choose, Enter or Tab
   * inserts « @handle », Escape closes. The focus stays in the box, which points at the chosen
   * option (aria-activedescendant); the status line says what is offered. The keys are taken
   * in the capture phase, before a page's own Enter-to-send.
   */
  function setupMentions(textarea) {
    var listbox = document.getElementById(textarea.dataset.mentionList);
    var status = document.getElementById(textarea.dataset.mentionStatus);
    var source = textarea.dataset.mentionSource;
    if (!listbox || !status || !source) return;
    textarea.setAttribute('aria-autocomplete', 'list');
    textarea.setAttribute('aria-controls', listbox.id);
    var people = [];
    var active = -1;
    var start = -1;
    var asked = 0;
    var timer = null;
    var TYPED = /(^|[^\p{L}\p{N}@._-])@([\p{L}\p{N}._-]{1,40})$/u;

    function close() {
      listbox.hidden = true;
      listbox.textContent = '';
      people = [];
      active = -1;
      textarea.removeAttribute('aria-activedescendant');
    }
    function highlight(i) {
      active = i;
      var options = listbox.querySelectorAll('[role="option"]');
      for (var k = 0; k < options.length; k++) options[k].setAttribute('aria-selected', k === i ? 'true' : 'false');
      textarea.setAttribute('aria-activedescendant', listbox.id + '-' + i);
    }
    function pick(i) {
      var person = people[i];
      if (!person) return;
      var before = textarea.value.slice(0, start);
      var after = textarea.value.slice(textarea.selectionStart);
      textarea.value = before + '@' + person.handle + ' ' + after;
      var caret = before.length + person.handle.length + 2;
      textarea.setSelectionRange(caret, caret);
      close();
      status.textContent = person.name + ' sera mentionné·e.';
      textarea.dispatchEvent(new Event('input'));
    }
    function show() {
      listbox.textContent = '';
      if (!people.length) return close();
      people.forEach(function (person, i) {
        var option = document.createElement('li');
        option.id = listbox.id + '-' + i;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', 'false');
        var about = [person.role, person.department].filter(Boolean).join(', ');
        option.textContent = person.name + ' (@' + person.handle + ')' + (about ? ' — ' + about : '');
        // mousedown, not click: the box keeps the focus and its caret.
        option.addEventListener('mousedown', function (event) { event.preventDefault(); pick(i); });
        listbox.appendChild(option);
      });
      listbox.hidden = false;
      highlight(0);
      status.textContent = people.length + (people.length > 1 ? ' personnes proposées' : ' personne proposée') + ' : flèches pour choisir, Entrée pour mentionner, Échap pour fermer.';
    }
    function lookup(typed) {
      var id = ++asked;
      fetch(source + (source.indexOf('?') < 0 ? '?' : '&') + 'q=' + encodeURIComponent(typed), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (data) {
          if (!data || id !== asked) return;
          people = data.people;
          show();
        })
        .catch(function () { /* suggestions are a convenience */ });
    }
    textarea.addEventListener('input', function () {
      var match = TYPED.exec(textarea.value.slice(0, textarea.selectionStart));
      clearTimeout(timer);
      if (!match) { asked++; return close(); }
      start = textarea.selectionStart - match[2].length - 1;
      timer = setTimeout(function () { lookup(match[2]); }, 150);
    });
    textarea.addEventListener('keydown', function (event) {
      if (listbox.hidden || !people.length) return;
      var handled = true;
      if (event.key === 'ArrowDown') highlight((active + 1) % people.length);
      else if (event.key === 'ArrowUp') highlight((active - 1 + people.length) % people.length);
      else if (event.key === 'Enter' || event.key === 'Tab') pick(active);
      else if (event.key === 'Escape') close();
      else handled = false;
      if (handled) { event.preventDefault(); event.stopImmediatePropagation(); }
    }, true);
    textarea.addEventListener('blur', function () { setTimeout(close, 200); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('textarea[data-mention-source]'), setupMentions);
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
