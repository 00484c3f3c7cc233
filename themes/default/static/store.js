// Small progressive enhancements: filters, nickname check, countdown. Pages work without it.
(function () {
  function filter(inputId, selector, hideEmptyGroups) {
    var input = document.getElementById(inputId);
    if (!input) return;
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      document.querySelectorAll(selector).forEach(function (el) {
        el.hidden = q && el.getAttribute('data-name').indexOf(q) === -1;
      });
      if (hideEmptyGroups) {
        document.querySelectorAll('details.group').forEach(function (g) {
          var any = g.querySelector('.product:not([hidden])');
          g.hidden = !any;
          if (q && any) g.open = true;
        });
      } else {
        // Home page: hide sections with no match and say so when nothing matches at all.
        var shown = 0;
        document.querySelectorAll('section.kind').forEach(function (sec) {
          var n = sec.querySelectorAll(selector + ':not([hidden])').length;
          sec.hidden = n === 0;
          shown += n;
        });
        var none = document.getElementById('no-results');
        if (none) none.hidden = shown > 0;
      }
    });
  }
  filter('cat-filter', '.card', false);

  // Category page: the server renders a capped list per group; searching and "Lihat semua" fetch the
  // matching part from /c/<slug>/produk instead of reloading the page (which would lose what was typed).
  var list = document.getElementById('product-list');
  if (list) {
    var slug = list.getAttribute('data-slug');
    var search = document.getElementById('product-filter');
    var timer = null;
    var load = function (params, openKey) {
      var chosen = document.querySelector('input[name="product"]:checked');
      var qs = Object.keys(params).filter(function (k) { return params[k]; })
        .map(function (k) { return k + '=' + encodeURIComponent(params[k]); }).join('&');
      return fetch('/c/' + slug + '/produk' + (qs ? '?' + qs : ''))
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          list.innerHTML = html;
          if (chosen) {
            var again = list.querySelector('input[name="product"][value="' + chosen.value + '"]');
            if (again) again.checked = true;
          }
          if (openKey) {
            var g = document.getElementById('grup-' + openKey);
            if (g) { g.open = true; g.scrollIntoView({block: 'start'}); }
          }
        });
    };
    if (search) {
      search.addEventListener('input', function () {
        clearTimeout(timer);
        timer = setTimeout(function () { load({q: search.value.trim()}).catch(function () {}); }, 250);
      });
      var searchForm = document.getElementById('product-search');
      if (searchForm) searchForm.addEventListener('submit', function (e) {
        e.preventDefault();
        clearTimeout(timer);
        load({q: search.value.trim()}).catch(function () { searchForm.submit(); });
      });
    }
    list.addEventListener('click', function (e) {
      var more = e.target.closest ? e.target.closest('a.more') : null;
      if (!more) return;
      e.preventDefault();
      var key = more.getAttribute('data-grup');
      load({q: search ? search.value.trim() : '', grup: key}, key)
        .catch(function () { window.location = more.href; });
    });
  }

  var form = document.getElementById('order-form');
  var btn = document.getElementById('check-nick');
  if (form && btn) {
    btn.addEventListener('click', function () {
      var out = document.getElementById('nick-result');
      var body = {category: form.getAttribute('data-category')};
      ['user_id', 'zone_id'].forEach(function (n) {
        var el = form.elements[n];
        if (el) body[n] = el.value;
      });
      out.className = 'nick'; out.textContent = 'Mengecek…';
      fetch('/api/nickname', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
        .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (res) {
          if (res[0] && res[1].nickname) { out.className = 'nick ok'; out.textContent = '✔ ' + res[1].nickname; }
          else { out.className = 'nick bad'; out.textContent = (res[1].error && res[1].error.message) || 'ID tidak ditemukan.'; }
        })
        .catch(function () { out.className = 'nick bad'; out.textContent = 'Gagal mengecek. Coba lagi.'; });
    });
  }

  var cd = document.querySelector('.countdown[data-until]');
  if (cd) {
    var until = Date.parse(cd.getAttribute('data-until'));
    var tick = function () {
      var s = Math.max(0, Math.round((until - Date.now()) / 1000));
      cd.textContent = s > 0 ? 'Dikirim dalam ' + Math.floor(s / 60) + ' menit ' + (s % 60) + ' detik' : 'Sedang dikirim…';
      if (s > 0) setTimeout(tick, 1000);
    };
    tick();
  }
})();
