// Forums: a live preview, drafts kept in the browser and quotes put into the reply being
// written. Every page works without them.
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

    // The title of a new topic is kept with its text.
    var title = form.querySelector('input[name="title"]');

    // A draft left in a closed tab comes back, unless the server already filled the box; a
    // quote the server put there (« Citer » followed as a link) goes after the draft instead.
    if (key) {
      try {
        var saved = window.localStorage.getItem(DRAFT_PREFIX + key);
        var given = textarea.value.trim();
        if (saved && !given) textarea.value = saved;
        else if (saved && editor.hasAttribute('data-draft-merge') && saved.indexOf(given) === -1) textarea.value = saved.replace(/\s+$/, '') + '\n\n' + textarea.value;
        var savedTitle = window.localStorage.getItem(DRAFT_PREFIX + key + ':title');
        if (title && savedTitle && !title.value.trim()) title.value = savedTitle;
      } catch (e) { /* storage may be disabled */ }
    }
    if (key && title) {
      title.addEventListener('input', function () {
        if (submitted) return;
        try {
          if (title.value.trim()) window.localStorage.setItem(DRAFT_PREFIX + key + ':title', title.value);
          else window.localStorage.removeItem(DRAFT_PREFIX + key + ':title');
        } catch (e) { /* ignore */ }
      });
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
      if (key) {
        try {
          window.localStorage.removeItem(DRAFT_PREFIX + key);
          window.localStorage.removeItem(DRAFT_PREFIX + key + ':title');
        } catch (e) { /* ignore */ }
      }
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

  /** The words selected inside a post's text, if the selection lies there. */
  function selectionIn(body) {
    var selection = window.getSelection && window.getSelection();
    if (!body || !selection || selection.isCollapsed || !selection.rangeCount) return '';
    var range = selection.getRangeAt(0);
    return body.contains(range.commonAncestorContainer) ? selection.toString().trim() : '';
  }

  /**
   * « Citer » puts the quote where the cursor is in the reply being written (or at its end),
   * instead of loading the page again with only the quote; words selected in the post are
   * quoted alone. The link still works without this.
   */
  function setupQuotes() {
    var reply = document.querySelector('form[action*="/reponses"] textarea[name="body"]');
    if (!reply || !window.fetch) return;
    var bodyOf = function (id) {
      var post = document.getElementById('p-' + id);
      return post && post.querySelector('.forum-post__body');
    };
    // A click on the link collapses the selection before « click » fires: it is read on press.
    var pressed = null;
    document.addEventListener('mousedown', function (event) {
      var link = event.target.closest && event.target.closest('a[data-quote]');
      pressed = link ? { link: link, excerpt: selectionIn(bodyOf(link.getAttribute('data-quote'))) } : null;
    });
    document.addEventListener('click', function (event) {
      var link = event.target.closest && event.target.closest('a[data-quote]');
      if (!link) return;
      event.preventDefault();
      var id = link.getAttribute('data-quote');
      var excerpt = pressed && pressed.link === link ? pressed.excerpt : selectionIn(bodyOf(id));
      pressed = null;
      fetch('/forums/p/' + id + '/citation' + (excerpt ? '?extrait=' + encodeURIComponent(excerpt) : ''), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (data) {
          if (!data) { window.location.href = link.href; return; }
          var text = reply.value;
          var at = text.trim() ? (typeof reply.selectionEnd === 'number' ? reply.selectionEnd : text.length) : 0;
          var before = text.slice(0, at).replace(/\s+$/, '');
          var after = text.slice(at).replace(/^\s+/, '');
          var quote = data.markdown.replace(/\s+$/, '') + '\n\n';
          reply.value = (before ? before + '\n\n' : '') + quote + after;
          var caret = (before ? before.length + 2 : 0) + quote.length;
          reply.dispatchEvent(new Event('input'));
          reply.focus();
          reply.setSelectionRange(caret, caret);
          reply.scrollIntoView({ block: 'center' });
        })
        .catch(function () { window.location.href = link.href; });
    });
  }

  function start() {
    var editors = document.querySelectorAll('[data-editor]');
    for (var i = 0; i < editors.length; i++) setupEditor(editors[i]);
    setupQuotes();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
