// Forums: a live preview and drafts kept in the browser. Every page works without them.
(function () {
  'use strict';
  var DRAFT_PREFIX = 'maillon:draft:';

  function tokenOf(form) {
    var field = form && form.querySelector('input[name="_csrf"]');
    return field ? field.value : '';
  }

  function setupEditor(editor) {
    var textarea = editor.querySelector('textarea');
    var preview = editor.querySelector('[data-preview]');
    var output = editor.querySelector('[data-preview-body]');
    var form = editor.closest('form');
    if (!textarea || !preview || !output || !form) return;
    var key = editor.getAttribute('data-draft-key');

    // A draft left in a closed tab comes back, unless the server already filled the box.
    if (key) {
      try {
        var saved = window.localStorage.getItem(DRAFT_PREFIX + key);
        if (saved && !textarea.value.trim()) textarea.value = saved;
      } catch (e) { /* storage may be disabled */ }
    }

    var timer = null;
    var sent = 0;
    var submitted = false;
    function refresh() {
      var text = textarea.value;
      if (key && !submitted) {
        try {
          if (text.trim()) window.localStorage.setItem(DRAFT_PREFIX + key, text);
          else window.localStorage.removeItem(DRAFT_PREFIX + key);
        } catch (e) { /* ignore */ }
      }
      if (!text.trim()) { preview.hidden = true; return; }
      var id = ++sent;
      fetch('/forums/apercu', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': tokenOf(form), Accept: 'application/json' },
        body: JSON.stringify({ body: text }),
      })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (data) {
          if (!data || id !== sent) return;
          output.innerHTML = data.html; // already sanitised by the server's one renderer
          preview.hidden = false;
        })
        .catch(function () { /* the preview is a convenience */ });
    }
    textarea.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    form.addEventListener('submit', function () {
      // Sent: a pending save must not bring the draft back once the post is published.
      submitted = true;
      clearTimeout(timer);
      if (key) { try { window.localStorage.removeItem(DRAFT_PREFIX + key); } catch (e) { /* ignore */ } }
    });
    if (textarea.value.trim()) refresh();
    setupImages(editor, textarea, form);
    setupMentions(editor, textarea);
  }

  /**
   * After « @ » and a letter or two, people to mention appear under the box: arrows choose,
   * Enter or Tab inserts the handle, Escape closes. The focus stays in the box, which points at
   * the chosen option (aria-activedescendant); a status line says what is offered.
   */
  function setupMentions(editor, textarea) {
    var listbox = editor.querySelector('[data-mention-list]');
    var status = editor.querySelector('[data-mention-status]');
    if (!listbox || !status) return;
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
        option.textContent = person.name + ' (@' + person.handle + ') — ' + person.role + (person.department ? ', ' + person.department : '');
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
      fetch('/forums/mentions?q=' + encodeURIComponent(typed), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
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
      if (event.key === 'ArrowDown') { event.preventDefault(); highlight((active + 1) % people.length); }
      else if (event.key === 'ArrowUp') { event.preventDefault(); highlight((active - 1 + people.length) % people.length); }
      else if (event.key === 'Enter' || event.key === 'Tab') { event.preventDefault(); pick(active); }
      else if (event.key === 'Escape') { event.preventDefault(); close(); }
    });
    textarea.addEventListener('blur', function () { setTimeout(close, 200); });
  }

  /** Uploads an image and puts its Markdown where the cursor is; the preview shows it at once. */
  function setupImages(editor, textarea, form) {
    var box = editor.querySelector('[data-image-upload]');
    var fallback = editor.querySelector('[data-image-fallback]');
    if (!box || !window.FormData) return;
    var file = box.querySelector('[data-image-file]');
    var alt = box.querySelector('[data-image-alt]');
    var status = box.querySelector('[data-image-status]');
    box.hidden = false;
    if (fallback) fallback.hidden = true;
    box.querySelector('[data-image-insert]').addEventListener('click', function () {
      if (!file.files.length) { status.textContent = 'Choisissez d\u2019abord une image.'; file.focus(); return; }
      if (!alt.value.trim()) { status.textContent = 'Décrivez l\u2019image (texte de remplacement) pour les personnes qui ne la voient pas.'; alt.focus(); return; }
      var data = new FormData();
      data.append('image', file.files[0]);
      data.append('alt', alt.value);
      status.textContent = 'Envoi de l\u2019image…';
      fetch('/forums/images', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': tokenOf(form), Accept: 'application/json' }, body: data })
        .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
        .then(function (r) {
          if (!r.ok) { status.textContent = (r.body.error && r.body.error.message) || 'L\u2019image n\u2019a pas pu être enregistrée.'; return; }
          var at = textarea.selectionStart || textarea.value.length;
          var snippet = (at > 0 && textarea.value[at - 1] !== '\n' ? '\n\n' : '') + r.body.markdown + '\n\n';
          textarea.value = textarea.value.slice(0, at) + snippet + textarea.value.slice(at);
          textarea.dispatchEvent(new Event('input'));
          file.value = '';
          alt.value = '';
          status.textContent = 'Image insérée dans le message.';
        })
        .catch(function () { status.textContent = 'L\u2019image n\u2019a pas pu être envoyée : vérifiez la connexion.'; });
    });
  }

  function start() {
    var editors = document.querySelectorAll('[data-editor]');
    for (var i = 0; i < editors.length; i++) setupEditor(editors[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
