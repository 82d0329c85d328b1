// slider_interaction.js — the snapshot sliders' interaction test (used by check_report.sh).
//
// check_report.py injects this script into a copy of a report, just before </body>. On load it
// moves every snapshot slider (analysis/report/slider.h) the way a user's drag does, twice: to the
// first snapshot, then to the middle one, each time a new value and then an 'input' event. After
// each move it records the slider's view: the readout text, the score table, the pattern cells'
// opacities and the transform of every cursor on the model's figures. Every move must change the
// readout and move every cursor (or show / hide it); the score table and the patterns must differ
// from the initial view after at least one of the moves (two snapshots may share them). It writes
// one line per slider into a <pre> element with the id slider-interaction, appended to the body:
//   SLIDERS n
//   PASS|FAIL KEY: snapshots I -> J -> K; P patterns, C cursors[; what did not change]
//   END
// check_report.py judges these lines. The sliders stay moved, so a screenshot of the page shows
// the moved view. Logs nothing.
(function () {
  'use strict';

  function texts(elements, read) {
    var out = [];
    elements.forEach(function (element) { out.push(read(element)); });
    return out;
  }

  function view(panel, key) {
    return {
      readout: texts(panel.querySelectorAll('[data-field]'), function (e) { return e.textContent; }).join(' | '),
      scores: texts(panel.querySelectorAll('td[data-score]'), function (e) { return e.textContent; }).join(' '),
      patterns: panel.querySelectorAll('svg.pattern').length,
      cells: texts(panel.querySelectorAll('svg.pattern rect.w'),
                   function (e) { return e.getAttribute('fill-opacity'); }).join(' '),
      cursors: texts(document.querySelectorAll('g.cursor[data-cursor="' + key + '"]'), function (e) {
        return e.getAttribute('transform') + ' ' + e.getAttribute('visibility');
      })
    };
  }

  // Sets the slider to snapshot `to` as a drag does; returns the problems seen, if any.
  function set(slider, to) {
    slider.value = String(to);
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    return Number(slider.value) === to ? [] : ['the slider did not take the value ' + to];
  }

  function move(panel) {
    var key = panel.dataset.slider, slider = panel.querySelector('input[type="range"]');
    if (!slider) return 'FAIL ' + key + ': no <input type="range"> in the slider panel';
    var views = [view(panel, key)], path = [Number(slider.value)], problems = [];
    [Number(slider.min), Math.floor(Number(slider.max) / 2)].forEach(function (to) {
      if (to === path[path.length - 1]) return;
      problems = problems.concat(set(slider, to));
      path.push(to);
      var before = views[views.length - 1], after = view(panel, key), still = 0;
      views.push(after);
      var move = path[path.length - 2] + ' -> ' + to;
      if (after.readout === before.readout) problems.push('the readout did not change (' + move + ')');
      for (var k = 0; k < before.cursors.length; k++) still += after.cursors[k] === before.cursors[k] ? 1 : 0;
      if (still) problems.push(still + ' of ' + before.cursors.length + ' cursors did not move (' + move + ')');
    });
    var first = views[0], rest = views.slice(1);
    var changed = function (what) { return rest.some(function (v) { return v[what] !== first[what]; }); };
    if (rest.length === 0) problems.push('the slider has a single snapshot');
    if (first.cursors.length === 0) problems.push('no figure has a cursor for this slider');
    if (!changed('scores')) problems.push('the score table did not change');
    if (first.patterns > 0 && !changed('cells')) problems.push('the attention patterns did not change');
    return (problems.length ? 'FAIL ' : 'PASS ') + key + ': snapshots ' + path.join(' -> ') + '; ' + first.patterns +
           ' patterns, ' + first.cursors.length + ' cursors' + (problems.length ? '; ' + problems.join('; ') : '');
  }

  window.addEventListener('load', function () {
    var panels = document.querySelectorAll('div.slider[data-slider]');
    var lines = ['SLIDERS ' + panels.length];
    panels.forEach(function (panel) { lines.push(move(panel)); });
    lines.push('END');
    var result = document.createElement('pre');
    result.id = 'slider-interaction';
    result.textContent = lines.join('\n');
    document.body.appendChild(result);
  });
})();
