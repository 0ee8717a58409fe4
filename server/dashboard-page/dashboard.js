// devcrew's /dashboard: draws GET /v1/dashboard with Chart.js (served by the API, no network needed).
/* global Chart, document, fetch, sessionStorage, setInterval */
(function () {
  'use strict';
  var MODES = ['crew', 'single-agent'];
  var COLORS = { crew: '#2563eb', 'single-agent': '#d97706' };
  var charts = {};

  function el(id) {
    return document.getElementById(id);
  }
  function text(node, value) {
    node.textContent = value;
    return node;
  }
  function pct(x) {
    return x === null || x === undefined ? '–' : Math.round(x * 1000) / 10 + '%';
  }
  function num(x, digits) {
    return x === null || x === undefined ? '–' : Number(x).toFixed(digits);
  }
  function dollars(x) {
    return x === null || x === undefined ? '–' : '$' + Number(x).toFixed(4);
  }
  function add(parent, tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    if (content !== undefined) node.textContent = content;
    parent.appendChild(node);
    return node;
  }
  function definition(dl, key, label, value) {
    add(dl, 'dt', {}, label);
    add(dl, 'dd', { 'data-field': key }, value);
  }
  function chart(id, config) {
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update('none');
      return;
    }
    config.options = Object.assign(
      { responsive: true, animation: false, maintainAspectRatio: true },
      config.options || {},
    );
    charts[id] = new Chart(el(id), config);
  }
  function show(id, visible, message) {
    var node = el(id);
    node.hidden = !visible;
    if (message) node.textContent = message;
  }

  function draw(d) {
    text(
      el('updated'),
      'updated ' +
        new Date(d.generated_at).toLocaleTimeString() +
        ' · figures from Temporal visibility' +
        (d.prometheus && d.prometheus.up ? ' and Prometheus' : ''),
    );
    var s = d.rollout.state;
    text(el('rollout-percent'), s.enabled ? s.percent + '%' : 'off');
    el('rollout-percent').setAttribute('data-percent', String(s.enabled ? s.percent : 0));
    var last = s.audit[0];
    text(
      el('rollout-detail'),
      'of auto runs to the crew' +
        (last ? ' · last change ' + last.action + ' by ' + last.by + ': ' + last.reason : ''),
    );

    MODES.forEach(function (mode) {
      var f = d.rollout.figures[mode];
      var dl = el('figures-' + mode);
      dl.textContent = '';
      if (f.ended === 0 && f.in_flight === 0) {
        add(dl, 'dt', { class: 'empty' }, 'no runs yet');
        add(dl, 'dd', {}, '');
        return;
      }
      definition(dl, 'ended', 'ended', String(f.ended));
      definition(dl, 'success_rate', 'success rate', pct(f.success_rate));
      definition(dl, 'failed', 'failed', String(f.failed));
      definition(dl, 'median_duration_s', 'p50 duration', num(f.median_duration_s, 1) + ' s');
      definition(dl, 'p90_duration_s', 'p90 duration', num(f.p90_duration_s, 1) + ' s');
      definition(dl, 'mean_fix_iterations', 'fix iterations (mean)', num(f.mean_fix_iterations, 2));
      definition(dl, 'mean_cost_usd', 'cost per run (mean)', dollars(f.mean_cost_usd));
      definition(dl, 'in_flight', 'in flight', String(f.in_flight));
    });

    // The ramp: each stage as it ran, oldest first, with its last analysis.
    var an = s.analysis;
    text(
      el('ramp-detail'),
      an
        ? (an.enabled ? 'moving by itself' : 'paused') +
            ' · analysis every ' +
            an.check_seconds +
            ' s, bake ' +
            an.bake_seconds +
            ' s, at least ' +
            an.min_runs +
            ' runs of each mode and ' +
            an.min_ratings +
            ' crew ratings, time ≤ ' +
            an.max_time_ratio +
            '×, mean rating ≥ ' +
            an.min_mean_rating +
            (s.rolled_back ? ' · rolled back: turn it on again to restart at 5%' : '')
        : '',
    );
    var stages = (s.stage_log || []).slice().reverse();
    var ramp = el('ramp');
    ramp.textContent = '';
    show('ramp-empty', stages.length === 0);
    stages.forEach(function (st) {
      var li = add(ramp, 'li', {
        'data-stage': String(st.percent),
        'data-outcome': st.outcome || 'running',
        class: st.outcome || 'running',
      });
      add(li, 'b', {}, st.percent + '%');
      li.appendChild(
        document.createTextNode(
          ' ' +
            (st.outcome || 'running') +
            ' · since ' +
            new Date(st.started_at).toLocaleString() +
            (st.last_analysis
              ? ' · ' + st.last_analysis.decision + ': ' + st.last_analysis.reasons.join('; ')
              : ''),
        ),
      );
    });

    var ratings = el('ratings');
    ratings.textContent = '';
    var byRun = {};
    (s.ratings || []).forEach(function (r) {
      (byRun[r.run_id] = byRun[r.run_id] || []).push(r.rating);
    });
    MODES.forEach(function (mode) {
      var mine = (s.ratings || []).filter(function (r) {
        return r.mode === mode;
      });
      var mean = mine.length
        ? mine.reduce(function (a, r) {
            return a + r.rating;
          }, 0) / mine.length
        : null;
      var complaints = mine.filter(function (r) {
        return r.rating <= 2;
      }).length;
      definition(
        ratings,
        mode,
        mode,
        mine.length
          ? num(mean, 2) + ' of 5 from ' + mine.length + ' rating(s), ' + complaints + ' complaint(s)'
          : 'no ratings yet (devcrew rate <run> <1-5>)',
      );
    });

    var alerts = el('alerts');
    alerts.textContent = '';
    if (d.alerts.length === 0)
      add(
        alerts,
        'li',
        { class: 'empty' },
        'none firing' + (d.prometheus ? '' : ' (Prometheus not running: devcrew up --monitoring)'),
      );
    d.alerts.forEach(function (a) {
      var li = add(alerts, 'li', { class: a.state, 'data-alert': a.alertname });
      add(li, 'b', {}, a.alertname);
      li.appendChild(
        document.createTextNode(
          ' ' + a.state + (a.labels.mode ? ' (' + a.labels.mode + ')' : '') + ': ' + a.summary,
        ),
      );
    });

    var ended = d.timeline.buckets.some(function (b) {
      return MODES.some(function (m) {
        return b.modes[m].completed + b.modes[m].failed > 0;
      });
    });
    show('timeline-empty', !ended);
    el('chart-success').hidden = !ended;
    if (ended) {
      chart('chart-success', {
        type: 'line',
        data: {
          labels: d.timeline.buckets.map(function (b) {
            return new Date(b.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
          }),
          datasets: MODES.map(function (m) {
            return {
              label: m,
              borderColor: COLORS[m],
              backgroundColor: COLORS[m],
              spanGaps: true,
              data: d.timeline.buckets.map(function (b) {
                var x = b.modes[m];
                var n = x.completed + x.failed;
                return n ? Math.round((1000 * x.completed) / n) / 10 : null;
              }),
            };
          }),
        },
        options: { scales: { y: { min: 0, max: 100, title: { display: true, text: '% completed' } } } },
      });
    }

    var anyEnded = MODES.some(function (m) {
      return d.rollout.figures[m].ended > 0;
    });
    show('durations-empty', !anyEnded);
    show('fixes-empty', !anyEnded);
    el('chart-durations').hidden = !anyEnded;
    el('chart-fixes').hidden = !anyEnded;
    if (anyEnded) {
      chart('chart-durations', {
        type: 'bar',
        data: {
          labels: ['p50', 'p90'],
          datasets: MODES.map(function (m) {
            var f = d.rollout.figures[m];
            return { label: m, backgroundColor: COLORS[m], data: [f.median_duration_s, f.p90_duration_s] };
          }),
        },
      });
      chart('chart-fixes', {
        type: 'bar',
        data: {
          labels: MODES,
          datasets: [
            {
              label: 'mean fix iterations',
              backgroundColor: MODES.map(function (m) {
                return COLORS[m];
              }),
              data: MODES.map(function (m) {
                return d.rollout.figures[m].mean_fix_iterations;
              }),
            },
          ],
        },
        options: { plugins: { legend: { display: false } } },
      });
    }

    var p = d.prometheus;
    var quality = el('quality');
    quality.textContent = '';
    if (!p || !p.up) {
      var why = !p
        ? 'Needs Prometheus: start devcrew with devcrew up --monitoring.'
        : 'Prometheus at ' + p.url + ' does not answer: ' + p.error;
      show('cost-empty', true, why);
      show('quality-empty', true, why);
      el('chart-cost').hidden = true;
    } else {
      var roles = Object.keys(p.cost_by_role)
        .filter(function (r) {
          return p.model_calls_by_role[r] > 0;
        })
        .sort();
      show('cost-empty', roles.length === 0, 'No model call yet since the workers started.');
      show('quality-empty', false);
      el('chart-cost').hidden = roles.length === 0;
      if (roles.length) {
        chart('chart-cost', {
          type: 'bar',
          data: {
            labels: roles,
            datasets: [
              {
                label: '$ since the workers started',
                backgroundColor: '#475467',
                data: roles.map(function (r) {
                  return p.cost_by_role[r];
                }),
              },
            ],
          },
          options: { plugins: { legend: { display: false } } },
        });
      }
      definition(
        quality,
        'coverage',
        'line coverage (mean)',
        p.coverage.samples
          ? pct(p.coverage.mean) + ' of ' + p.coverage.samples + ' test run(s)'
          : 'no test run reported coverage',
      );
      ['high', 'medium', 'low'].forEach(function (sev) {
        definition(
          quality,
          'security_' + sev,
          'security findings, ' + sev,
          String(Math.round(p.security_findings[sev] || 0)),
        );
      });
      ['flake8', 'mypy', 'bandit'].forEach(function (tool) {
        definition(
          quality,
          'build_' + tool,
          'build findings, ' + tool,
          String(Math.round(p.build_findings[tool] || 0)),
        );
      });
      definition(
        quality,
        'sandbox_errors',
        'sandbox errors',
        String(Math.round(p.sandbox_jobs.sandbox_error || 0)),
      );
      if (p.model_server) {
        var m = p.model_server;
        definition(
          quality,
          'model_generation',
          'local model, generation',
          num(m.generation_tps, 1) + ' tokens/s',
        );
        definition(quality, 'model_prompt', 'local model, prompt', num(m.prompt_tps, 0) + ' tokens/s');
        definition(
          quality,
          'model_requests',
          'local model, requests',
          m.requests_processing + ' answering, ' + m.requests_deferred + ' waiting',
        );
      }
    }

    var tbody = el('runs').querySelector('tbody');
    tbody.textContent = '';
    show('runs-empty', d.runs.length === 0);
    el('runs').hidden = d.runs.length === 0;
    d.runs.forEach(function (r) {
      var tr = add(tbody, 'tr', { 'data-run': r.run_id });
      var cell = add(tr, 'td', { class: 'run', title: r.request || '' });
      if (r.web_ui) add(cell, 'a', { href: r.web_ui, target: '_blank', rel: 'noopener' }, r.run_id);
      else text(cell, r.run_id);
      add(tr, 'td', {}, r.mode || '–');
      add(tr, 'td', { class: 'status-' + r.status }, r.status);
      add(tr, 'td', {}, new Date(r.started_at).toLocaleString());
      add(
        tr,
        'td',
        {},
        r.closed_at ? num((Date.parse(r.closed_at) - Date.parse(r.started_at)) / 1000, 1) + ' s' : 'running',
      );
      add(tr, 'td', {}, dollars(r.cost_usd));
      add(tr, 'td', {}, r.fix_iterations === null ? '–' : String(r.fix_iterations));
      var given = byRun[r.run_id];
      add(
        tr,
        'td',
        { class: 'rating' },
        given
          ? num(
              given.reduce(function (a, b) {
                return a + b;
              }, 0) / given.length,
              1,
            )
          : '–',
      );
    });
    document.body.setAttribute('data-loaded', 'true');
  }

  // Once people are configured, reads need a bearer token: asked for once, kept for this tab only.
  var KEY = 'devcrew-token';
  el('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, el('token').value.trim());
    el('token').value = '';
    refresh();
  });

  function refresh() {
    var token = sessionStorage.getItem(KEY);
    fetch('/v1/dashboard', token ? { headers: { authorization: 'Bearer ' + token } } : {})
      .then(function (res) {
        el('signin').hidden = res.status !== 401;
        if (res.status === 401) sessionStorage.removeItem(KEY);
        if (!res.ok)
          return res.json().then(function (b) {
            throw new Error(b.error ? b.error.message : res.status);
          });
        return res.json();
      })
      .then(draw)
      .catch(function (err) {
        text(el('updated'), 'could not load the figures: ' + err.message + ' (retrying)');
      });
  }
  refresh();
  setInterval(refresh, 10000);
})();
