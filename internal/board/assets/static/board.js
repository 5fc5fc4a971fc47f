// The flag board's live updates: when the server says the database
// changed, fetch this same URL again (so the filters hold) and swap in the
// fresh #live section, keeping the scroll position and the focused element.
// Without this script the page is complete; it just does not update.
'use strict';
(function () {
  var status = document.getElementById('live-status');
  function say(text) { if (status) { status.textContent = text; } }

  // j / k move between flags, like a mail reader: the flag rows of the
  // board, or the chain tree of a flag's page. From elsewhere on a flag's
  // page they start at the flag itself (the tree's current node), so j
  // goes to the flag after it in the chain and k to the one before; at an
  // end of the chain there is none, and they do nothing.
  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) { return; }
    if (ev.key !== 'j' && ev.key !== 'k') { return; }
    var links = Array.prototype.slice.call(document.querySelectorAll('a.flag-link, ul.tree .node > a[data-key]'));
    if (!links.length) { return; }
    var i = links.indexOf(document.activeElement);
    var here = document.querySelector('ul.tree [aria-current="page"]');
    if (i < 0 && here) {
      // The links before the current node, in document order: the first
      // after it is the next flag, the last before it the previous one.
      var before = links.filter(function (a) {
        return a.compareDocumentPosition(here) & Node.DOCUMENT_POSITION_FOLLOWING;
      }).length;
      i = ev.key === 'j' ? before : before - 1;
      if (i < 0 || i >= links.length) { return; } // the flag ends the chain that way
    } else {
      i = ev.key === 'j' ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0);
    }
    links[i].focus();
    ev.preventDefault();
  });

  // identity names the focused element of root so that its twin in a fresh
  // rendering can be found: by data-key where the page gives one (flag
  // links, and the pagers' links, whose URLs change as rows come and go);
  // else by where it is, the region (the nearest element with an id: a
  // section) and the row (data-row: a flag, an inbox, an event) around it,
  // and by its kind and target (href, label, id) and which of the elements
  // alike it is within that row, or that region. Counted across the whole
  // page, a new row elsewhere (a flag naming the same agent) would shift it.
  function identity(el, root) {
    if (!el || el === root || !root.contains(el) || !el.getAttribute) { return null; }
    var key = el.getAttribute('data-key');
    if (key) { return { sel: '[data-key="' + CSS.escape(key) + '"]', n: 0 }; }
    var sel = el.tagName.toLowerCase();
    ['href', 'aria-labelledby', 'aria-label', 'id'].forEach(function (a) {
      var v = el.getAttribute(a);
      if (v !== null) { sel += '[' + a + '="' + CSS.escape(v) + '"]'; }
    });
    var row = el.closest('[data-row]');
    if (row && !root.contains(row)) { row = null; }
    var region = (row || el).parentElement.closest('[id]');
    if (region && (region === root || !root.contains(region))) { region = null; }
    var scope = row || region || root;
    return {
      region: region ? region.id : null,
      row: row ? row.getAttribute('data-row') : null,
      sel: sel,
      n: Array.prototype.indexOf.call(scope.querySelectorAll(sel), el)
    };
  }

  // find is the element of root that id names, or null.
  function find(id, root) {
    var scope = root;
    if (id.region) {
      scope = root.querySelector('#' + CSS.escape(id.region));
      if (!scope) { return null; }
    }
    if (id.row) {
      scope = scope.querySelector('[data-row="' + CSS.escape(id.row) + '"]');
      if (!scope) { return null; }
    }
    var all = scope.querySelectorAll(id.sel);
    return all[id.n] || all[0] || null;
  }

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
        var focus = identity(document.activeElement, cur);
        // Tables scroll sideways on narrow screens: keep where they were.
        var sideways = {};
        cur.querySelectorAll('div.scroll[aria-label]').forEach(function (d) {
          sideways[d.getAttribute('aria-label')] = d.scrollLeft;
        });
        var fresh = document.importNode(next, true);
        cur.replaceWith(fresh);
        fresh.querySelectorAll('div.scroll[aria-label]').forEach(function (d) {
          var left = sideways[d.getAttribute('aria-label')];
          if (left) { d.scrollLeft = left; }
        });
        window.scrollTo(x, y);
        var el = focus && find(focus, fresh);
        if (el) { el.focus({ preventScroll: true }); }
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
  es.addEventListener('error', function () {
    if (es.readyState !== EventSource.CLOSED) { say('Live: reconnecting…'); return; }
    // The stream was answered, and refused (a 401 once a sign-in ended,
    // with the token revoked or the server restarted): EventSource never
    // tries again after that. Ask the page itself what it now is: a board
    // whose sign-in ended sends it to the sign-in form, whose next is this
    // page.
    fetch(window.location.href, { headers: { 'Accept': 'text/html' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (r.redirected && /\/login$/.test(r.url.split(/[?#]/)[0])) {
          signedOut(r.url);
        } else {
          say('Live: the server refused live updates; reload to try again.');
        }
      })
      .catch(function () { say('Live: stopped; the server cannot be reached. Reload to try again.'); });
  });

  // signedOut says the session ended, with a way to sign in again that
  // comes back here.
  function signedOut(login) {
    if (!status) { return; }
    var a = document.createElement('a');
    a.href = login;
    a.textContent = 'Sign in again';
    status.textContent = 'Live: your sign-in has ended, so this page no longer updates. ';
    status.appendChild(a);
  }
})();
