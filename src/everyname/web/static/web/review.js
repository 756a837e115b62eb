// The review queue's keys (served from the app, so the Content-Security-Policy's
// script-src 'self' allows it; the page works without it through the buttons and their access
// keys). S: same person, D: different persons, N: not sure (skip), by the key's place on the
// keyboard (event.code), so an Arabic layout's keys work too. A key typed into the note, or
// pressed with a modifier, is left alone.
"use strict";
document.addEventListener("keydown", function (event) {
  if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var form = document.getElementById("decide");
  if (!form) return;
  var key = /^Key[A-Z]$/.test(event.code) ? event.code.slice(3).toLowerCase() : "";
  var button = key && form.querySelector('button[data-key="' + key + '"]');
  if (!button) return;
  event.preventDefault();
  form.requestSubmit(button);
});
