// Training pages: small enhancements only; every page works without them.
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.closest('[data-print]')) window.print();
  });

  // A quiz sent with questions left blank asks first: a limited quiz would lose an attempt.
  // Without script the server takes the answers as they are.
  function answered(field) {
    if (field.type === 'radio' || field.type === 'checkbox') return field.checked;
    return field.value.trim() !== '';
  }
  function plural(n, one, many) {
    return n + ' ' + (n > 1 ? many : one);
  }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form[data-quiz]')) return;
    var blank = 0;
    var partial = 0;
    Array.prototype.forEach.call(form.querySelectorAll('fieldset.question'), function (question) {
      var fields = Array.prototype.slice.call(question.querySelectorAll('input, select'));
      var given = fields.filter(answered).length;
      if (given === 0) blank++;
      else if (question.querySelector('select') && given < fields.length) partial++;
    });
    if (!blank && !partial) return;
    var parts = [];
    if (blank) parts.push(plural(blank, 'question sans réponse', 'questions sans réponse'));
    if (partial) parts.push(plural(partial, 'association incomplète', 'associations incomplètes'));
    var question = parts.join(' et ') + ' : envoyer quand même ?';
    if (form.hasAttribute('data-quiz-limited')) question += ' Cette tentative sera comptée.';
    if (!window.confirm(question)) event.preventDefault();
  });
})();
