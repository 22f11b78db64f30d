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
