// The flag board's live updates: when the server says the database
// changed, fetch this same URL again (so the filters hold) and swap in the
// fresh #live section, keeping the scroll position and the focused link.
// Without this script the page is complete; it just does not update.
'use strict';
(function () {
  var status = document.getElementById('live-status');
  function say(text) { if (status) { status.textContent = text; } }

  // j / k move between flags, like a mail reader.
  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) { return; }
    if (ev.key !== 'j' && ev.key !== 'k') { return; }
    var links = Array.prototype.slice.call(document.querySelectorAll('a.flag-link'));
    if (!links.length) { return; }
    var i = links.indexOf(document.activeElement);
    i = ev.key === 'j' ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0);
    links[i].focus();
    ev.preventDefault();
  });

  var url = document.body.getAttribute('data-live');
  if (!url || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var running = false, again = false;

  function refresh() {
    if (running) { again = true; return; }
    running = true;
    fetch(window.location.href, { headers: { 'Accept': 'text/html' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) { throw new Error('HTTP ' + r.status); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var next = doc.getElementById('live'), cur = document.getElementById('live');
        if (!next || !cur) { return; }
        var x = window.scrollX, y = window.scrollY;
        var active = document.activeElement;
        var key = active && active.getAttribute && active.getAttribute('data-key');
        cur.replaceWith(document.importNode(next, true));
        window.scrollTo(x, y);
        if (key) {
          var el = document.querySelector('[data-key="' + key + '"]');
          if (el) { el.focus({ preventScroll: true }); }
        }
        document.title = doc.title;
        say('Live: updated at ' + new Date().toLocaleTimeString());
        document.body.setAttribute('data-updated', String(Date.now()));
      })
      .catch(function () { say('Live: could not update; trying again at the next change.'); })
      .then(function () {
        running = false;
        if (again) { again = false; refresh(); }
      });
  }

  var es = new EventSource(url);
  es.addEventListener('open', function () {
    say('Live: updates as they happen.');
    // Whatever changed between the rendering and the stream's (re)opening
    // was not announced.
    refresh();
  });
  es.addEventListener('change', refresh);
  es.addEventListener('error', function () { say('Live: reconnecting…'); });
})();
