// Yearly survey: shows a conditional question only when its condition holds (the server applies
// the same rule, so the form also works without JavaScript), and in the builder shows the
// fields that fit the chosen kind of question.
(function () {
  'use strict';
  var form = document.querySelector('.survey-form');
  if (form) {
    var refresh = function () {
      form.querySelectorAll('[data-show-if]').forEach(function (fieldset) {
        var name = fieldset.getAttribute('data-show-if');
        var value = fieldset.getAttribute('data-show-if-value');
        var parent = form.querySelector('[id="' + name + '-titre"]');
        var parentHidden = parent && parent.hidden;
        var checked = Array.prototype.some.call(form.querySelectorAll('input[name="' + name + '"]'), function (input) {
          return input.checked && input.value === value;
        });
        fieldset.hidden = parentHidden || !checked;
        var note = fieldset.querySelector('[id$="-condition"]');
        if (note) note.hidden = true;
      });
      // Number only the questions shown: « Question 1, 2, 3 », never « 1, 3, 4 ».
      var shown = 0;
      form.querySelectorAll('fieldset.question').forEach(function (fieldset) {
        if (fieldset.hidden) return;
        shown += 1;
        var number = fieldset.querySelector('[data-question-number]');
        if (number) number.textContent = 'Question ' + shown + ' :';
      });
    };
    form.addEventListener('change', refresh);
    refresh();
  }
  var kind = document.querySelector('[data-question-kind]');
  if (kind) {
    var showKind = function () {
      document.querySelectorAll('[data-for-kinds]').forEach(function (block) {
        block.hidden = block.getAttribute('data-for-kinds').split(' ').indexOf(kind.value) < 0;
      });
    };
    kind.addEventListener('change', showKind);
    showKind();
  }
})();
