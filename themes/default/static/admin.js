// Madd Store admin: small enhancements. Every page works without this file.
(function () {
  'use strict';

  // Ask before actions that buy, cancel or settle something.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) ev.preventDefault();
  });

  // Cooldown countdowns: data-until is epoch milliseconds.
  var timers = document.querySelectorAll('.countdown[data-until]');
  if (timers.length) {
    var tick = function () {
      timers.forEach(function (el) {
        var left = Math.round((Number(el.getAttribute('data-until')) - Date.now()) / 1000);
        if (left <= 0) { el.textContent = 'sekarang'; return; }
        var m = Math.floor(left / 60), s = left % 60;
        el.textContent = m + ':' + (s < 10 ? '0' : '') + s;
      });
    };
    tick();
    setInterval(tick, 1000);
  }

  // Deposit form: prefill the fee from the method's rule until Banyu types his own.
  var dep = document.getElementById('deposit-form');
  if (dep) {
    var amount = dep.elements.amount, method = dep.elements.method, fee = dep.elements.fee;
    var edited = fee.value !== '';
    fee.addEventListener('input', function () { edited = fee.value !== ''; });
    var prefill = function () {
      if (edited) return;
      var n = parseInt(String(amount.value).replace(/[^0-9]/g, ''), 10);
      var opt = method.options[method.selectedIndex];
      var bp = Number(opt.getAttribute('data-bp') || 0), fixed = Number(opt.getAttribute('data-fixed') || 0);
      if (!n) { fee.value = ''; return; }
      fee.value = String(Math.ceil(n * bp / 10000) + fixed);  // rounded up, like the server
      edited = false;
    };
    amount.addEventListener('input', prefill);
    method.addEventListener('change', prefill);
  }

  // A catalog sync in progress: look again in a few seconds (the worker writes its progress).
  var sync = document.getElementById('sync-progress');
  if (sync && /^(queued|running)$/.test(sync.getAttribute('data-state') || '')) {
    setTimeout(function () { window.location.reload(); }, 3000);
  }

  // Optional sound on new orders / payments (remembered on this phone).
  var soundBtn = document.getElementById('sound-toggle');
  var soundOn = false;
  try { soundOn = localStorage.getItem('madd-sound') === '1'; } catch (e) { /* private mode */ }
  var showSound = function () {
    if (!soundBtn) return;
    soundBtn.textContent = soundOn ? '🔔' : '🔕';
    soundBtn.setAttribute('aria-pressed', soundOn ? 'true' : 'false');
  };
  showSound();
  if (soundBtn) soundBtn.addEventListener('click', function () {
    soundOn = !soundOn;
    try { localStorage.setItem('madd-sound', soundOn ? '1' : '0'); } catch (e) { /* ignore */ }
    showSound();
    if (soundOn) beep();
  });
  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.15);
    } catch (e) { /* no audio */ }
  }

  // Live updates: a badge counts new orders / payments since this page was drawn.
  var body = document.body, url = body.getAttribute('data-live');
  if (url && window.EventSource) {
    var o = body.getAttribute('data-o'), p = body.getAttribute('data-p');
    if (o !== null && p !== null) url += '?o=' + encodeURIComponent(o) + '&p=' + encodeURIComponent(p);
    var badge = document.getElementById('live-badge'), count = document.getElementById('live-count');
    var seen = 0;
    var bump = function () {
      seen += 1;
      count.textContent = String(seen);
      badge.hidden = false;
      body.setAttribute('data-new', String(seen));
      if (soundOn) beep();
    };
    var es = new EventSource(url);
    es.addEventListener('order', bump);
    es.addEventListener('payment', bump);
    badge.addEventListener('click', function (ev) { ev.preventDefault(); window.location.reload(); });
    window.addEventListener('pagehide', function () { es.close(); });
  }
})();
