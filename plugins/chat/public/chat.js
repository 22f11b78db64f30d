/* Chat room, live: the server-rendered page works alone; this makes it real time. No inline script (CSP). */
(function () {
  'use strict';
  if (typeof window.io !== 'function') return;
  var list = document.getElementById('chat-messages');
  var roomList = document.querySelector('[data-chat-rooms]');
  if (!list && roomList) return liveUnread(roomList);
  if (!list) return;
  var roomId = Number(list.dataset.roomId);
  var me = Number(list.dataset.userId);
  var lastId = Number(list.dataset.lastId) || 0;
  var changeId = Number(list.dataset.changeId) || 0; // the last change to a message this page knows of
  var form = document.querySelector('[data-composer]');
  var textarea = form && form.querySelector('textarea');
  var typingLine = document.querySelector('[data-typing]');
  var statusLine = document.querySelector('[data-chat-status]');
  var canWrite = list.dataset.canWrite === 'true';
  var canModerate = list.dataset.canModerate === 'true';
  var quickReactions = JSON.parse(list.dataset.reactions || '[]');
  var thread = Number(list.dataset.thread) || 0;
  var handles = JSON.parse(list.dataset.handles || '[]'); // how others mention the reader
  // A page around an older message (?around=) does not reach the latest: new messages belong to
  // the latest page (« Messages plus récents »), not after this one.
  var detached = list.dataset.hasNewer === 'true';
  var pending = new Map();
  var socket = window.io('/chat');

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // As the server writes it (server/web/viewHelpers.ts, formatDateTime): « 1er décembre 2026 à 09:05 », in Paris time.
  var timeFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' });
  function formatTime(iso) {
    return timeFormat.formatToParts(new Date(iso)).map(function (part) {
      return part.type === 'day' && Number(part.value) === 1 ? '1er' : part.value;
    }).join('');
  }

  /** The same markup as views/_message.ejs, without the no-JS action forms. */
  function renderMessage(m) {
    var mine = m.author && m.author.id === me;
    var mentionsMe = !mine && (m.mentions || []).some(function (h) { return handles.indexOf(h) !== -1; });
    var li = el('li', 'chat-message' + (m.deleted ? ' chat-message--deleted' : '') + (mine ? ' chat-message--mine' : '') + (mentionsMe ? ' chat-message--mentions-me' : ''));
    li.id = 'm' + m.id;
    li.dataset.id = String(m.id);
    li.dataset.clientId = m.clientId;
    if (m.author && m.author.id === me && !m.deleted) li.dataset.body = m.body; // the source, for editing in place
    var meta = el('p', 'chat-message__meta');
    meta.appendChild(el('strong', 'chat-message__author', m.author ? m.author.name : 'Compte supprimé'));
    if (m.author && m.author.department) meta.appendChild(el('span', 'chat-message__place', ' (' + m.author.department + ')'));
    meta.appendChild(document.createTextNode(' '));
    var time = el('time', '', formatTime(m.createdAt));
    time.setAttribute('datetime', m.createdAt);
    meta.appendChild(time);
    if (m.editedAt && !m.deleted) meta.appendChild(el('span', 'chat-message__edited', ' (modifié)'));
    if (mentionsMe) {
      meta.appendChild(document.createTextNode(' '));
      meta.appendChild(el('span', 'chat-message__mentions-me', 'vous mentionne'));
    }
    li.appendChild(meta);
    if (m.parent) li.appendChild(el('p', 'chat-message__parent', 'En réponse à ' + m.parent.author + ' : ' + m.parent.excerpt));
    if (m.deleted) {
      var gone = el('p', 'chat-message__body muted');
      gone.appendChild(el('em', '', 'Message supprimé.'));
      li.appendChild(gone);
    } else {
      var body = el('div', 'chat-message__body');
      body.innerHTML = m.html; // sanitised by the server's one Markdown renderer
      li.appendChild(body);
      if (m.reactions && m.reactions.length) {
        var ul = el('ul', 'chat-reactions');
        ul.setAttribute('aria-label', 'Réactions');
        m.reactions.forEach(function (r) { ul.appendChild(reactionItem(m, r)); });
        li.appendChild(ul);
      }
    }
    return li;
  }

  /** As views/_message.ejs: a button that adds or takes back one's reaction, saying who reacted. */
  function reactionItem(m, r) {
    var item = el('li');
    var mineToo = r.users.indexOf(me) !== -1;
    var who = (r.names || []).filter(function (_n, i) { return r.users[i] !== me; }).concat(mineToo ? ['vous'] : []).join(', ');
    var label = r.emoji + ' ' + r.users.length + ' : ' + who;
    var chip;
    if (canWrite) {
      var f = postForm('/chat/messages/' + m.id + '/react');
      chip = el('button', 'chat-reaction');
      chip.type = 'submit';
      chip.name = 'emoji';
      chip.value = r.emoji;
      chip.setAttribute('aria-pressed', mineToo ? 'true' : 'false');
      chip.setAttribute('aria-label', label);
      chip.appendChild(el('span', '', r.emoji)).setAttribute('aria-hidden', 'true');
      chip.appendChild(document.createTextNode(' ' + r.users.length));
      f.appendChild(chip);
      item.appendChild(f);
    } else {
      chip = el('span', 'chat-reaction');
      chip.appendChild(el('span', '', r.emoji + ' ' + r.users.length)).setAttribute('aria-hidden', 'true');
      chip.appendChild(el('span', 'visually-hidden', label));
      item.appendChild(chip);
    }
    chip.title = label;
    return item;
  }

  function postForm(action, label, extra) {
    var f = el('form', 'inline-form' + (extra || ''));
    f.method = 'post';
    f.action = action;
    var token = el('input');
    token.type = 'hidden';
    token.name = '_csrf';
    token.value = list.dataset.csrf || '';
    f.appendChild(token);
    if (label) {
      var b = el('button', 'link-button', label);
      b.type = 'submit';
      f.appendChild(b);
    }
    return f;
  }

  /** The same actions as views/_message.ejs, for messages that arrive live. */
  function actionsFor(m) {
    var mine = m.author && m.author.id === me;
    if (m.deleted || !(canWrite || canModerate)) return null;
    var details = el('details', 'chat-message__actions');
    var summary = el('summary', '', 'Actions');
    summary.appendChild(el('span', 'visually-hidden', ' sur le message de ' + (m.author ? m.author.name : 'compte supprimé') + ' du ' + formatTime(m.createdAt)));
    details.appendChild(summary);
    if (canWrite) {
      var reply = el('a', '', 'Répondre dans le fil');
      reply.href = '/chat/rooms/' + roomId + '?reply=' + m.id + (thread ? '&thread=' + thread : '') + '#composer';
      details.appendChild(reply);
      var react = postForm('/chat/messages/' + m.id + '/react', null, ' chat-react');
      quickReactions.forEach(function (e) {
        var b = el('button', 'link-button', e);
        b.type = 'submit';
        b.name = 'emoji';
        b.value = e;
        b.setAttribute('aria-label', 'Réagir ' + e);
        react.appendChild(b);
      });
      details.appendChild(react);
    }
    if (mine) {
      var edit = el('a', '', 'Modifier');
      edit.href = '/chat/messages/' + m.id + '/edit';
      details.appendChild(edit);
    }
    if (mine || canModerate) {
      var remove = postForm('/chat/messages/' + m.id + '/delete', mine ? 'Supprimer' : 'Retirer (modération)');
      remove.dataset.confirm = (mine ? 'Supprimer ce message ?' : 'Retirer ce message du salon ?') + ' Son texte sera effacé pour tout le monde.';
      details.appendChild(remove);
    }
    if (canWrite && !mine) details.appendChild(postForm('/chat/messages/' + m.id + '/report', 'Signaler'));
    return details;
  }

  // Reacting, deleting and reporting go over the socket: the page stays where it is, and the
  // change reaches everyone through the 'update' broadcast. Without JavaScript the forms post.
  // Listened to on the document, after public/js/maillon.js (loaded first, by the layout): a
  // deletion its data-confirm question was refused arrives here already prevented.
  var ACTION = /\/chat\/messages\/(\d+)\/(react|delete|report)$/;
  document.addEventListener('submit', function (event) {
    var f = event.target;
    if (event.defaultPrevented || !(f instanceof HTMLFormElement) || !list.contains(f)) return;
    var match = ACTION.exec(new URL(f.action, window.location.href).pathname);
    if (!match || !socket.connected) return;
    event.preventDefault();
    var messageId = Number(match[1]);
    var payload = match[2] === 'react' ? { messageId: messageId, emoji: event.submitter && event.submitter.value } : { messageId: messageId };
    var chip = event.submitter && event.submitter.classList.contains('chat-reaction') ? event.submitter.value : null;
    socket.timeout(8000).emit(match[2], payload, function (err, reply) {
      var details = f.closest('details');
      var focused = details && details.contains(document.activeElement);
      if (details) details.open = false;
      if (chip !== null && !err && reply.ok) {
        // A reaction button: the new count shows at once, the keyboard stays on the button.
        var lost = !document.activeElement || document.activeElement === document.body || f.contains(document.activeElement);
        upsert(reply.message, true);
        if (lost) focusReaction(document.getElementById('m' + messageId), chip);
        if (document.activeElement === document.body) focusMessage(document.getElementById('m' + messageId));
        return;
      }
      // The menu closes: the keyboard goes back to it (or to the message, once deleted).
      if (focused || document.activeElement === document.body) focusMessage(document.getElementById('m' + messageId));
      if (err) return say('Pas de réponse du serveur : réessayez dans un instant.');
      if (!reply.ok) return say(reply.error);
      if (match[2] === 'report') say('Merci : le message est signalé aux modérateurs.');
      if (match[2] === 'delete') say('Message retiré.');
    });
  });

  // « Modifier » edits in place: the text comes back in a box; Enter saves over the socket, Escape
  // cancels. The 'update' broadcast then shows the new version everywhere. Without JavaScript, or
  // while the socket is down, the link opens the edit page.
  var EDIT = /\/chat\/messages\/(\d+)\/edit$/;
  list.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[href]');
    var match = link && EDIT.exec(new URL(link.href, window.location.href).pathname);
    var li = match && link.closest('li.chat-message');
    if (!li || !socket.connected || li.dataset.body === undefined) return;
    event.preventDefault();
    var details = link.closest('details');
    if (details) details.open = false;
    editInPlace(li, Number(match[1]));
  });

  function editInPlace(li, messageId) {
    var open = li.querySelector('.chat-edit');
    if (open) return open.querySelector('textarea').focus();
    // The message's element is replaced when a reaction or an edit arrives: always look it up.
    function current() { return document.getElementById('m' + messageId); }
    var f = el('form', 'chat-edit stack');
    var fieldId = 'edition-' + messageId;
    var label = el('label', '', 'Modifier votre message');
    label.htmlFor = fieldId;
    var box = el('textarea');
    box.id = fieldId;
    box.rows = 3;
    box.required = true;
    box.maxLength = textarea && textarea.maxLength > 0 ? textarea.maxLength : 4000;
    box.value = li.dataset.body;
    var hint = el('p', 'muted chat-edit__hint', 'Entrée pour enregistrer, Maj+Entrée pour aller à la ligne, Échap pour annuler.');
    hint.id = fieldId + '-aide';
    box.setAttribute('aria-describedby', hint.id);
    var error = el('p', 'chat-edit__error');
    error.setAttribute('role', 'alert');
    var save = el('button', 'button button--small', 'Enregistrer');
    save.type = 'submit';
    var cancel = el('button', 'button button--secondary button--small', 'Annuler');
    cancel.type = 'button';
    var buttons = el('div', 'toolbar');
    buttons.appendChild(save);
    buttons.appendChild(cancel);
    [label, box, hint, error, buttons].forEach(function (n) { f.appendChild(n); });
    showEditor(li, f);
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);

    function close(message) {
      f.remove();
      var now = current();
      if (!now) return;
      if (message) upsert(message, true);
      now = current();
      var body = now.querySelector('.chat-message__body');
      if (body) body.hidden = false;
      var summary = now.querySelector('.chat-message__actions summary');
      if (summary) summary.focus();
    }
    cancel.addEventListener('click', function () { close(); });
    box.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') { event.preventDefault(); close(); }
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); f.requestSubmit(); }
    });
    f.addEventListener('submit', function (event) {
      event.preventDefault();
      var text = box.value.trim();
      var now = current();
      if (!text) { error.textContent = 'Le message est vide : pour le retirer, utilisez « Supprimer ».'; return; }
      if (!now || text === (now.dataset.body || '').trim()) return close();
      save.disabled = true;
      socket.timeout(8000).emit('edit', { messageId: messageId, body: text }, function (err, reply) {
        save.disabled = false;
        if (err) { error.textContent = 'Pas de réponse du serveur : votre texte est gardé, réessayez.'; return; }
        if (!reply.ok) { error.textContent = reply.error; return; }
        // The broadcast may come before or after this answer: either way the new version shows.
        close(reply.message);
        say('Message modifié.');
      });
    });
  }

  /** Puts the edit form in a message's element, where its text was. */
  function showEditor(li, f) {
    var body = li.querySelector('.chat-message__body');
    if (!body) return li.insertBefore(f, li.querySelector('.chat-message__actions'));
    body.hidden = true;
    body.after(f);
  }

  function say(text) {
    if (!statusLine) return;
    statusLine.textContent = '';
    // A new text node, so that screen readers announce the same message twice in a row.
    window.setTimeout(function () { statusLine.textContent = text; }, 50);
  }

  // New messages from others are read out in short, « Nicolas Petit : texte », from a region of
  // their own: one's own messages, edits and reactions are not announced again.
  var announcer = document.querySelector('[data-chat-announcer]');
  function announce(m) {
    if (!announcer || m.deleted || !m.author || m.author.id === me) return;
    var source = document.createElement('template');
    source.innerHTML = m.html; // sanitised by the server; a template's content is inert
    var text = source.content.textContent.replace(/\s+/g, ' ').trim();
    if (text.length > 280) text = text.slice(0, 279) + '…';
    announcer.appendChild(el('p', '', m.author.name + ' : ' + text));
    while (announcer.childNodes.length > 5) announcer.removeChild(announcer.firstChild);
  }

  /** Focus on a message's reaction button for this emoji, when it is still there. */
  function focusReaction(li, emoji) {
    var again = Array.prototype.find.call(li.querySelectorAll('button.chat-reaction'), function (b) { return b.value === emoji; });
    if (again) again.focus();
  }

  /** Focus on a message's « Actions » menu, or on the message itself when it has none. */
  function focusMessage(li) {
    if (!li) return;
    var summary = li.querySelector('.chat-message__actions summary');
    if (summary) return summary.focus();
    li.tabIndex = -1;
    li.focus();
  }

  function findMessage(m) {
    var byId = document.getElementById('m' + m.id);
    if (byId) return byId;
    if (m.author && m.author.id === me) return list.querySelector('[data-client-id="' + CSS.escape(m.clientId) + '"]');
    return null;
  }

  function upsert(m, onlyIfPresent) {
    var existing = findMessage(m);
    if (!existing && onlyIfPresent) return;
    // Moving the kept menu (or edit form) into the new element takes the focus away: it is given
    // back below, to the same control when it is still there, else to the message.
    var focused = existing && existing.contains(document.activeElement) ? document.activeElement : null;
    var li = renderMessage(m);
    // Keep the action forms already on the page (an open menu stays open); build them otherwise.
    var keep = existing && existing.querySelector('.chat-message__actions');
    var actions = m.deleted || m.id === 0 ? null : keep || actionsFor(m);
    if (actions) li.appendChild(actions);
    // A message being edited here keeps its form (and what is typed) when a reaction comes in.
    var editing = existing && existing.querySelector('.chat-edit');
    if (editing && !m.deleted) showEditor(li, editing);
    if (existing) {
      keepBottom(function () { existing.replaceWith(li); });
      if (focused) {
        if (li.contains(focused)) focused.focus();
        else if (focused.classList.contains('chat-reaction')) focusReaction(li, focused.value);
        if (!li.contains(document.activeElement)) focusMessage(li);
      }
    } else {
      var empty = document.querySelector('[data-empty]');
      if (empty) empty.remove();
      keepBottom(function () { list.appendChild(li); }, m.author && m.author.id === me);
    }
    if (m.id > lastId) lastId = m.id;
    pending.delete(m.clientId);
  }

  /** The end of the list is on screen: the reader follows the conversation as it comes. */
  function atBottom() {
    return list.getBoundingClientRect().bottom <= window.innerHeight + 48;
  }

  /**
   * Changes the list; a reader who was at its end stays there (the view moves by what was added),
   * one reading older messages is left where they are. One's own message always shows.
   */
  function keepBottom(change, always) {
    var follow = always || atBottom();
    var before = list.getBoundingClientRect().bottom;
    change();
    if (follow) window.scrollBy(0, list.getBoundingClientRect().bottom - before);
  }

  // A room opens where reading resumes: at the « Nouveaux messages » marker, otherwise at the
  // latest message, above the composer (as Element does). A link to one message (#m…) wins.
  if ('scrollRestoration' in window.history) window.history.scrollRestoration = 'manual';
  if (!window.location.hash) {
    var marker = list.querySelector('[data-unread-marker]');
    if (marker) marker.scrollIntoView({ block: 'start' });
    else (form || list).scrollIntoView({ block: 'end' });
  }

  function setState(li, state, message) {
    li.dataset.state = state;
    var old = li.querySelector('.chat-message__state');
    if (old) old.remove();
    var p = el('p', 'chat-message__state chat-message__state--' + state);
    if (state === 'pending') p.textContent = 'Envoi en cours…';
    if (state === 'failed') {
      p.textContent = 'Échec de l’envoi' + (message ? ' : ' + message : '') + ' ';
      var retry = el('button', 'link-button', 'Réessayer');
      retry.type = 'button';
      retry.addEventListener('click', function () { send(li.dataset.clientId); });
      p.appendChild(retry);
    }
    if (state !== 'sent') li.appendChild(p);
  }

  /** Sends (or re-sends) a pending message; the same clientId makes a retry harmless. */
  function send(clientId) {
    var p = pending.get(clientId);
    if (!p) return;
    setState(p.li, 'pending');
    socket.timeout(8000).emit('send', { roomId: roomId, clientId: clientId, body: p.body, replyTo: p.replyTo }, function (err, reply) {
      if (!pending.has(clientId)) return; // the broadcast came first
      if (err) return setState(p.li, 'failed', 'pas de réponse du serveur');
      if (!reply.ok) return setState(p.li, 'failed', reply.error);
      p.li.id = 'm' + reply.id;
      p.li.dataset.id = String(reply.id);
      setState(p.li, 'sent');
      pending.delete(clientId);
      if (reply.id > lastId) lastId = reply.id;
    });
  }

  // Locked by a moderator, or muted: the composer is disabled in place, with the reason, and
  // keeps what was typed for when it opens again (no reload).
  var composerState = form ? { locked: form.dataset.locked === 'true', muted: form.dataset.muted === 'true' } : null;
  var BLOCKED = {
    locked: 'Ce salon est verrouillé : on peut le lire, plus y écrire.',
    muted: 'Un modérateur vous a mis en sourdine dans ce salon : vous pouvez le lire, plus y écrire.',
  };
  function setComposer(change) {
    if (!composerState || !textarea) return;
    var before = composerState.locked || composerState.muted;
    Object.keys(change).forEach(function (k) { if (typeof change[k] === 'boolean') composerState[k] = change[k]; });
    var reason = composerState.locked ? BLOCKED.locked : composerState.muted ? BLOCKED.muted : '';
    var note = form.querySelector('[data-composer-blocked]');
    var button = form.querySelector('button[type="submit"]');
    textarea.disabled = !!reason;
    if (button) button.disabled = !!reason;
    if (note) {
      note.textContent = reason;
      note.hidden = !reason;
    }
    if (!!reason !== before) say(reason || 'Vous pouvez de nouveau écrire dans ce salon.');
  }

  if (form && textarea) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = textarea.value.trim();
      if (!body || textarea.disabled) return;
      var clientId = newClientId();
      var li = renderMessage({ id: 0, clientId: clientId, author: null, body: body, html: '', createdAt: new Date().toISOString(), deleted: false, reactions: [] });
      li.removeAttribute('id');
      li.className += ' chat-message--mine';
      li.querySelector('.chat-message__author').textContent = 'Vous';
      li.querySelector('.chat-message__body').textContent = body;
      keepBottom(function () { list.appendChild(li); }, true);
      var replyField = form.querySelector('input[name="replyTo"]');
      pending.set(clientId, { body: body, replyTo: replyField ? Number(replyField.value) : null, li: li });
      textarea.value = '';
      endReplyMode();
      send(clientId);
    });
    // Reply mode (« Répondre dans le fil ») is for one message, as in Element: then the composer
    // writes to the room again, or to the thread on a thread view. The retry of a failed reply
    // keeps its own replyTo (in `pending`).
    function endReplyMode() {
      var field = form.querySelector('[data-reply-to]');
      if (!field) return;
      var banner = form.querySelector('[data-reply-banner]');
      if (banner) banner.remove();
      if (thread) {
        field.value = String(thread);
        field.removeAttribute('data-reply-to');
      } else {
        field.remove();
      }
      window.history.replaceState(null, '', window.location.pathname + (thread ? '?thread=' + thread : ''));
    }
    textarea.addEventListener('keydown', function (event) {
      // Enter picks a mention when suggestions are open (public/js/maillon.js), not send.
      if (event.defaultPrevented) return;
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    var lastTyping = 0;
    textarea.addEventListener('input', function () {
      var now = Date.now();
      if (now - lastTyping > 2000) {
        lastTyping = now;
        socket.emit('typing', { roomId: roomId });
      }
    });
  }

  var typers = new Map();
  function showTyping() {
    if (!typingLine) return;
    var names = Array.from(typers.keys());
    typingLine.textContent = names.length ? names.join(', ') + (names.length > 1 ? ' écrivent…' : ' écrit…') : '';
  }

  function refreshOnline() {
    socket.emit('who', { roomId: roomId }, function (reply) {
      if (!reply || !reply.ok) return;
      var online = new Set(reply.users.map(function (u) { return u.userId; }));
      document.querySelectorAll('[data-members] li').forEach(function (li) {
        var on = online.has(Number(li.dataset.userId));
        li.classList.toggle('is-online', on);
        var label = li.querySelector('[data-online-label]');
        if (label) label.textContent = on ? ' (en ligne)' : '';
      });
      var summary = document.querySelector('[data-online-summary]');
      if (summary) summary.textContent = reply.users.length + ' en ligne : ' + reply.users.map(function (u) { return u.name; }).join(', ');
    });
  }

  // A thread view shows only its thread: the room's other messages stay unread, as on the server.
  function markRead() {
    if (lastId && !thread && !detached && document.visibilityState === 'visible') socket.emit('read', { roomId: roomId, messageId: lastId });
  }

  /** On a thread view (?thread=), only the thread's root and its replies belong to the page. */
  function belongsHere(m) {
    return !detached && (!thread || m.id === thread || m.replyTo === thread);
  }

  // New messages come in batches, one event per room (several when the server is busy).
  socket.on('messages', function (messages) {
    if (!messages.length || messages[0].roomId !== roomId) return;
    messages.forEach(function (m) {
      if (m.author) typers.delete(m.author.name);
      if (!belongsHere(m)) return;
      if (!findMessage(m)) announce(m);
      upsert(m);
    });
    showTyping();
    markRead();
  });
  socket.on('update', function (m) { if (m.roomId === roomId) upsert(m, true); });
  socket.on('typing', function (t) {
    if (t.roomId !== roomId || t.userId === me) return;
    clearTimeout(typers.get(t.name));
    typers.set(t.name, setTimeout(function () { typers.delete(t.name); showTyping(); }, 4000));
    showTyping();
  });
  socket.on('presence', function (p) { if (p.roomId === roomId) refreshOnline(); });
  // Someone joined or left: the member list follows, and so does who is online.
  socket.on('members', function (c) {
    var members = document.querySelector('[data-members]');
    if (c.roomId !== roomId || !members) return;
    var item = members.querySelector('li[data-user-id="' + c.userId + '"]');
    if (!c.joined && item) item.remove();
    if (c.joined && !item) {
      item = el('li');
      item.dataset.userId = String(c.userId);
      item.appendChild(el('span', 'chat-presence')).setAttribute('aria-hidden', 'true');
      item.appendChild(document.createTextNode(' ' + c.name));
      if (c.department) {
        item.appendChild(document.createTextNode(' '));
        item.appendChild(el('span', 'muted', '(' + c.department + ')'));
      }
      item.appendChild(el('span', 'visually-hidden', '')).setAttribute('data-online-label', '');
      members.appendChild(item);
    }
    var count = document.querySelector('[data-members-count]');
    if (count) count.textContent = String(members.children.length);
    refreshOnline();
  });

  // The connection drops (server restarting, network gone): say so, and say when it is back.
  var connection = document.querySelector('[data-connection]');
  var lost = false;
  socket.on('disconnect', function () {
    lost = true;
    if (!connection) return;
    connection.className = 'chat-connection chat-connection--lost';
    connection.textContent = 'Connexion perdue, nouvelle tentative…';
  });
  socket.on('connect', function () {
    if (!lost || !connection) return;
    lost = false;
    connection.className = 'chat-connection chat-connection--back';
    connection.textContent = 'Reconnecté';
    window.setTimeout(function () { if (!lost) connection.textContent = ''; }, 5000);
  });
  socket.on('room', function (r) { if (r.roomId === roomId) setComposer({ locked: r.locked }); });
  socket.on('membership', function (p) { if (p.roomId === roomId) setComposer({ muted: p.muted }); });
  // Every (re)connection: fetch what was missed (new messages, and the current state of those
  // shown that were edited, deleted or reacted to meanwhile), then re-send what is still pending.
  socket.on('connect', function () {
    var since = {};
    since[roomId] = lastId;
    var changedSince = {};
    changedSince[roomId] = changeId;
    socket.emit('catchup', { since: since, changedSince: changedSince }, function (reply) {
      if (reply && reply.ok) {
        (reply.changed[roomId] || []).forEach(function (m) { upsert(m, true); });
        if (reply.changes[roomId] > changeId) changeId = reply.changes[roomId];
        if (reply.state && reply.state[roomId]) setComposer(reply.state[roomId]);
        (reply.messages[roomId] || []).filter(belongsHere).forEach(function (m) { upsert(m); });
      }
      pending.forEach(function (_p, clientId) { send(clientId); });
      markRead();
    });
    refreshOnline();
  });
  // The server does not notify a direct message to someone whose page shows it (a thread view
  // shows only its thread).
  function tellViewing() {
    socket.emit('viewing', { roomId: !thread && document.visibilityState === 'visible' ? roomId : null });
  }
  socket.on('connect', tellViewing);
  document.addEventListener('visibilitychange', function () {
    tellViewing();
    markRead();
  });

  /**
   * The room list: unread badges go up as messages arrive from others, and a conversation someone
   * starts with the reader (a direct message) appears at once.
   */
  function liveUnread(rooms) {
    var me = Number(rooms.dataset.userId);
    var live = window.io('/chat');
    var KINDS = { departement: 'département', academie: 'académie', topic: 'thème', group: 'groupe privé', dm: 'message direct' };
    live.on('connect', function () { rooms.dataset.live = 'true'; });
    live.on('joined', function (room) {
      if (rooms.querySelector('[data-room-id="' + room.id + '"]')) return;
      var li = document.createElement('li');
      li.className = 'chat-rooms__item chat-rooms__item--' + room.kind;
      li.dataset.roomId = String(room.id);
      var link = document.createElement('a');
      link.href = '/chat/rooms/' + room.id;
      link.textContent = room.label;
      var kind = document.createElement('span');
      kind.className = 'muted';
      kind.textContent = KINDS[room.kind] || '';
      li.appendChild(link);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(kind);
      // In the server's order: by kind, then by name.
      var order = Object.keys(KINDS);
      var after = Array.prototype.find.call(rooms.children, function (other) {
        var otherKind = order.indexOf((/chat-rooms__item--(\w+)/.exec(other.className) || [])[1]);
        var label = other.querySelector('a') ? other.querySelector('a').textContent : '';
        return otherKind > order.indexOf(room.kind) || (otherKind === order.indexOf(room.kind) && label.localeCompare(room.label, 'fr') > 0);
      });
      rooms.insertBefore(li, after || null);
      rooms.hidden = false;
      var empty = document.querySelector('[data-no-rooms]');
      if (empty) empty.remove();
    });
    live.on('messages', function (messages) {
      var fromOthers = messages.filter(function (m) { return !m.author || m.author.id !== me; }).length;
      var item = fromOthers && rooms.querySelector('[data-room-id="' + messages[0].roomId + '"]');
      if (!item) return;
      var badge = item.querySelector('[data-unread]');
      if (!badge) {
        badge = document.createElement('span');
        badge.className = 'badge';
        badge.setAttribute('data-unread', '');
        badge.dataset.count = '0';
        item.appendChild(badge);
      }
      var count = Number(badge.dataset.count || parseInt(badge.textContent, 10) || 0) + fromOthers;
      badge.dataset.count = String(count);
      badge.textContent = count + (count > 1 ? ' non lus' : ' non lu');
    });
  }
})();
