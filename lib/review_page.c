/* review_page.c - the labelling page (see review_page.h). The page's style,
 * fixed elements and script are C string arrays below; the sheet's data goes
 * between them as JSON in <script type="application/json">. */
#include "review_page.h"

#include <string.h>

/* the style sheet */
static const char *const page_css[] = {
    "* { box-sizing: border-box; }\n",
    "body { margin: 0; font: 15px/1.4 system-ui, -apple-system, \"Segoe UI\", Roboto, \"DejaVu Sans\", sans-serif; color: #1f2933; background: #f3f4f6; }\n",
    "header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; padding: 12px 24px; background: #fff; border-bottom: 1px solid #d9dde3; position: sticky; top: 0; z-index: 1; }\n",
    "h1 { font-size: 19px; margin: 0; }\n",
    ".head { flex: 1 1 280px; min-width: 0; }\n",
    "#rule { color: #52606d; font-size: 13px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }\n",
    "code { font: 13px ui-monospace, \"DejaVu Sans Mono\", monospace; background: #e4e7eb; padding: 0 4px; border-radius: 3px; }\n",
    "#progress { display: flex; align-items: center; gap: 10px; }\n",
    ".bar { width: 160px; height: 10px; border-radius: 5px; background: #e4e7eb; overflow: hidden; }\n",
    "#bar { display: block; height: 100%; width: 0; background: #2f9e44; transition: width .2s; }\n",
    "#count { font-weight: 600; min-width: 8.5em; }\n",
    "#saved { color: #2f9e44; font-size: 13px; }\n",
    "button { font: inherit; border: 1px solid #bcc3cc; background: #fff; color: inherit; border-radius: 6px; padding: 6px 12px; cursor: pointer; }\n",
    "button:hover { border-color: #3b6fd6; }\n",
    "button:disabled { opacity: .45; cursor: default; border-color: #bcc3cc; }\n",
    "button.primary { background: #2b5fc7; border-color: #2b5fc7; color: #fff; font-weight: 600; }\n",
    "label.filter { display: flex; align-items: center; gap: 6px; cursor: pointer; user-select: none; }\n",
    "kbd { font: 12px ui-monospace, \"DejaVu Sans Mono\", monospace; padding: 0 5px; border: 1px solid #bcc3cc; border-bottom-width: 2px; border-radius: 4px; background: #f8f9fa; color: #3e4c59; }\n",
    ".banner { margin: 12px 24px 0; padding: 8px 14px; border-radius: 6px; }\n",
    "#warn { background: #fff4e5; border: 1px solid #f0b45a; }\n",
    "#done { background: #e9f7ef; border: 1px solid #7cc49a; }\n",
    "main { display: flex; gap: 20px; padding: 16px 24px; align-items: flex-start; }\n",
    "#card { background: #fff; border: 1px solid #d9dde3; border-radius: 10px; padding: 18px; width: 620px; flex: none; box-shadow: 0 1px 3px rgba(0,0,0,.06); }\n",
    ".top { display: flex; gap: 18px; }\n",
    "#big { width: 252px; height: 252px; image-rendering: pixelated; background: #000; border-radius: 4px; flex: none; }\n",
    ".info { flex: 1; min-width: 0; }\n",
    "#where { color: #52606d; font-size: 13px; margin-bottom: 8px; }\n",
    "h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #7b8794; margin: 10px 0 4px; }\n",
    ".guess { display: grid; grid-template-columns: 1fr 56px; align-items: center; gap: 2px 8px; margin-bottom: 6px; }\n",
    ".guess .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }\n",
    ".guess .pct { text-align: right; font-variant-numeric: tabular-nums; }\n",
    ".guess .track { grid-column: 1 / 3; height: 6px; background: #e4e7eb; border-radius: 3px; overflow: hidden; }\n",
    ".guess .fill { display: block; height: 100%; background: #3b6fd6; }\n",
    ".guess:last-child .name { font-weight: normal; color: #52606d; }\n",
    ".guess.second .fill { background: #9aa5b1; }\n",
    "#given { margin-top: 8px; }\n",
    "#given b, #current b { font-weight: 600; }\n",
    "#current { margin-top: 10px; padding: 6px 10px; border-radius: 6px; background: #f3f4f6; }\n",
    "#current.labelled { background: #e9f7ef; }\n",
    "#current.unsure { background: #fff4e5; }\n",
    "#classes { display: grid; grid-template-columns: repeat(5, 1fr); gap: 8px; margin-top: 16px; }\n",
    "#classes button { text-align: left; padding: 8px 10px; min-height: 52px; }\n",
    "#classes button .k { display: block; font-size: 12px; color: #7b8794; }\n",
    "#classes button u { text-decoration-thickness: 2px; text-underline-offset: 2px; }\n",
    "#classes button.guessed { border-style: dashed; border-color: #3b6fd6; }\n",
    "button.chosen, #classes button.chosen { background: #2f9e44; border-color: #2f9e44; color: #fff; }\n",
    "#classes button.chosen .k { color: #d3f9d8; }\n",
    ".actions { display: flex; gap: 8px; margin-top: 10px; }\n",
    ".actions button { flex: 1; padding: 9px 10px; }\n",
    "#unsure.chosen { background: #e8890c; border-color: #e8890c; }\n",
    "nav { display: flex; justify-content: space-between; margin-top: 14px; }\n",
    "aside { flex: 1; min-width: 0; }\n",
    "aside h2 { margin: 0; }\n",
    ".listhead { display: flex; justify-content: space-between; align-items: center; gap: 12px; margin-bottom: 8px; }\n",
    "label.filter { font-size: 14px; }\n",
    "#list { display: flex; flex-wrap: wrap; gap: 6px; }\n",
    ".item { position: relative; width: 64px; height: 64px; padding: 0; border: 2px solid transparent; border-radius: 6px; overflow: hidden; background: #000; }\n",
    ".item img { width: 100%; height: 100%; image-rendering: pixelated; display: block; }\n",
    ".item .badge { position: absolute; left: 0; right: 0; bottom: 0; font-size: 11px; line-height: 15px; text-align: center; color: #fff; background: rgba(31,41,51,.8); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }\n",
    ".item.done .badge { background: #2f9e44; }\n",
    ".item.unsure .badge { background: #e8890c; }\n",
    ".item.current { border-color: #2b5fc7; box-shadow: 0 0 0 2px #2b5fc7; }\n",
    "#empty { color: #52606d; }\n",
    "footer { padding: 4px 24px 24px; color: #52606d; font-size: 13px; max-width: 1100px; }\n",
    "footer p { margin: 6px 0; }\n",
    NULL,
};

/* the page's fixed elements; the script fills them from the sheet's data */
static const char *const page_body[] = {
    "<header>\n",
    "<div class=\"head\"><h1 id=\"title\">Review</h1><div id=\"rule\"></div></div>\n",
    "<div id=\"progress\"><div class=\"bar\"><span id=\"bar\"></span></div><span id=\"count\"></span></div>\n",
    "<button id=\"undo\" title=\"Undo the last label (Backspace, Ctrl+Z)\">Undo</button>\n",
    "<button id=\"save\" class=\"primary\" title=\"Download the sheet for merge\">Save CSV</button>\n",
    "<span id=\"saved\" hidden></span>\n",
    "</header>\n",
    "<div id=\"warn\" class=\"banner\" hidden></div>\n",
    "<div id=\"done\" class=\"banner\" hidden></div>\n",
    "<main>\n",
    "<section id=\"card\">\n",
    "<div class=\"top\">\n",
    "<img id=\"big\" alt=\"\">\n",
    "<div class=\"info\">\n",
    "<div id=\"where\"></div>\n",
    "<h2>The model's guesses</h2>\n",
    "<div id=\"guesses\"></div>\n",
    "<div id=\"given\" hidden></div>\n",
    "<div id=\"current\"></div>\n",
    "</div>\n",
    "</div>\n",
    "<div id=\"classes\"></div>\n",
    "<div class=\"actions\">\n",
    "<button id=\"ok\" title=\"The model's guess is right\">Model is right <kbd>Enter</kbd></button>\n",
    "<button id=\"unsure\" title=\"Leave this record to the model\">Unsure <kbd>\?</kbd></button>\n",
    "</div>\n",
    "<nav><button id=\"prev\">&larr; Previous</button><button id=\"next\">Next &rarr;</button></nav>\n",
    "</section>\n",
    "<aside><div class=\"listhead\"><h2 id=\"listtitle\">Records</h2>\n",
    "<label class=\"filter\"><input type=\"checkbox\" id=\"todo\"> only records still to do</label></div>\n",
    "<div id=\"list\"></div><p id=\"empty\" hidden>Nothing left to do.</p></aside>\n",
    "</main>\n",
    "<footer>\n",
    "<p>Keys: a class's number (<kbd>0</kbd>&ndash;<kbd>9</kbd>) or its underlined letter labels the record;\n",
    "<kbd>Enter</kbd> or <kbd>=</kbd> says the model is right; <kbd>\?</kbd> marks it unsure;\n",
    "<kbd>Backspace</kbd> or <kbd>Ctrl</kbd>+<kbd>Z</kbd> undoes; <kbd>&larr;</kbd> <kbd>&rarr;</kbd> move.\n",
    "A class's letter is the first letter of its name, or where another class has it, the first free\n",
    "initial of its other words, then the first free letter of the name.</p>\n",
    "<p>Your labels stay in this browser (for this sheet) until you save. <b>Save CSV</b> downloads the\n",
    "sheet with <code>reviewer_label</code> filled in: the class number, <code>ok</code> where the model is\n",
    "right, <code>unsure</code> where you were unsure, blank where you did nothing. Then run\n",
    "<code>merge --reviews SAVED.csv PREDICTIONS</code>.</p>\n",
    "</footer>\n",
    NULL,
};

/* the labelling itself: keys, undo, filter, localStorage, Save CSV */
static const char *const page_js[] = {
    "'use strict';\n",
    "(function () {\n",
    "  var S = JSON.parse(document.getElementById('sheet').textContent);\n",
    "  var R = S.records, N = R.length, K = S.classes.length;\n",
    "  function $(id) { return document.getElementById(id); }\n",
    "  function el(tag, cls, text) {\n",
    "    var e = document.createElement(tag);\n",
    "    if (cls) e.className = cls;\n",
    "    if (text !== undefined) e.textContent = text;\n",
    "    return e;\n",
    "  }\n",
    "\n",
    "  /* ---- the work, kept in localStorage under this sheet's key ---- */\n",
    "  var state = { labels: {}, undo: [], cur: 0, todo: false };\n",
    "  var storageOk = true;\n",
    "  function valid(v) {\n",
    "    return v === 'ok' || v === 'unsure' || (/^[0-9]+$/.test(v) && +v < K);\n",
    "  }\n",
    "  function load() {\n",
    "    state = { labels: {}, undo: [], cur: 0, todo: false };\n",
    "    var raw = null;\n",
    "    try { raw = window.localStorage.getItem(S.key); } catch (err) { storageOk = false; }\n",
    "    if (!raw) return;\n",
    "    try {\n",
    "      var v = JSON.parse(raw);\n",
    "      var ids = {};\n",
    "      R.forEach(function (r) { ids[r.id] = true; });\n",
    "      Object.keys(v.labels || {}).forEach(function (id) {\n",
    "        if (ids[id] && valid(v.labels[id])) state.labels[id] = v.labels[id];\n",
    "      });\n",
    "      state.undo = (v.undo || []).filter(function (u) {\n",
    "        return Array.isArray(u) && ids[u[0]] && (u[1] === null || valid(u[1]));\n",
    "      });\n",
    "      state.cur = v.cur >= 0 && v.cur < N \? v.cur : 0;\n",
    "      state.todo = !!v.todo;\n",
    "    } catch (err) { /* a damaged entry: start afresh */ }\n",
    "  }\n",
    "  function store() {\n",
    "    try { window.localStorage.setItem(S.key, JSON.stringify(state)); } catch (err) { storageOk = false; }\n",
    "  }\n",
    "\n",
    "  /* ---- keys: digits, then a letter per class ---- */\n",
    "  var letterOf = [], letterAt = [], byLetter = {};\n",
    "  S.classes.forEach(function (name, c) {\n",
    "    var low = name.toLowerCase(), order = [], i;\n",
    "    for (i = 0; i < low.length; i++)   /* word initials first, then every letter */\n",
    "      if (/[a-z]/.test(low[i]) && (i === 0 || !/[a-z0-9]/.test(low[i - 1]))) order.push(i);\n",
    "    for (i = 0; i < low.length; i++)\n",
    "      if (/[a-z]/.test(low[i])) order.push(i);\n",
    "    letterOf[c] = ''; letterAt[c] = -1;\n",
    "    for (i = 0; i < order.length; i++) {\n",
    "      var ch = low[order[i]];\n",
    "      if (!byLetter.hasOwnProperty(ch)) { byLetter[ch] = c; letterOf[c] = ch; letterAt[c] = order[i]; break; }\n",
    "    }\n",
    "  });\n",
    "\n",
    "  function labelName(v) {\n",
    "    if (v === 'ok') return 'model is right';\n",
    "    if (v === 'unsure') return 'unsure';\n",
    "    return S.classes[+v] + ' (' + v + ')';\n",
    "  }\n",
    "  function done() { return Object.keys(state.labels).length; }\n",
    "  function isTodo(i) { return !state.labels.hasOwnProperty(R[i].id); }\n",
    "  function visible(i) { return !state.todo || isTodo(i) || i === state.cur; }\n",
    "\n",
    "  /* ---- building the page once ---- */\n",
    "  document.title = 'Review: ' + N + ' record' + (N === 1 \? '' : 's');\n",
    "  $('title').textContent = document.title;\n",
    "  $('rule').textContent = S.rule + ' \\u00b7 from ' + S.source;\n",
    "  var classButtons = S.classes.map(function (name, c) {\n",
    "    var b = el('button');\n",
    "    b.dataset.label = String(c);\n",
    "    var k = el('span', 'k');\n",
    "    k.textContent = (c < 10 \? c + (letterOf[c] \? ' \\u00b7 ' : '') : '') + letterOf[c].toUpperCase();\n",
    "    b.appendChild(k);\n",
    "    var n = el('span');\n",
    "    if (letterAt[c] >= 0) {\n",
    "      n.appendChild(document.createTextNode(name.slice(0, letterAt[c])));\n",
    "      n.appendChild(el('u', '', name.charAt(letterAt[c])));\n",
    "      n.appendChild(document.createTextNode(name.slice(letterAt[c] + 1)));\n",
    "    } else {\n",
    "      n.textContent = name;\n",
    "    }\n",
    "    b.appendChild(n);\n",
    "    b.title = 'Label as ' + name;\n",
    "    b.addEventListener('click', function () { b.blur(); label(String(c)); });\n",
    "    $('classes').appendChild(b);\n",
    "    return b;\n",
    "  });\n",
    "  var items = R.map(function (r, i) {\n",
    "    var b = el('button', 'item');\n",
    "    b.dataset.id = String(r.id);\n",
    "    var img = el('img');\n",
    "    img.src = r.img;\n",
    "    img.alt = 'id ' + r.id;\n",
    "    b.appendChild(img);\n",
    "    b.appendChild(el('span', 'badge'));\n",
    "    b.addEventListener('click', function () { b.blur(); go(i); });\n",
    "    $('list').appendChild(b);\n",
    "    return b;\n",
    "  });\n",
    "\n",
    "  /* ---- actions ---- */\n",
    "  function go(i) {\n",
    "    if (i >= 0 && i < N) { state.cur = i; store(); render(); }\n",
    "  }\n",
    "  function step(dir) {\n",
    "    for (var i = state.cur + dir; i >= 0 && i < N; i += dir)\n",
    "      if (visible(i)) return go(i);\n",
    "  }\n",
    "  function nextTodo() {\n",
    "    for (var d = 1; d <= N; d++) {\n",
    "      var i = (state.cur + d) % N;\n",
    "      if (isTodo(i)) return i;\n",
    "    }\n",
    "    return state.cur;\n",
    "  }\n",
    "  function label(v) {\n",
    "    if (!N) return;\n",
    "    var id = String(R[state.cur].id);\n",
    "    var prev = state.labels.hasOwnProperty(id) \? state.labels[id] : null;\n",
    "    state.undo.push([id, prev]);\n",
    "    if (state.undo.length > 5000) state.undo.shift();\n",
    "    state.labels[id] = v;\n",
    "    state.cur = nextTodo();\n",
    "    store();\n",
    "    render();\n",
    "  }\n",
    "  function undo() {\n",
    "    var u = state.undo.pop();\n",
    "    if (!u) return;\n",
    "    if (u[1] === null) delete state.labels[u[0]];\n",
    "    else state.labels[u[0]] = u[1];\n",
    "    for (var i = 0; i < N; i++)\n",
    "      if (String(R[i].id) === u[0]) state.cur = i;\n",
    "    store();\n",
    "    render();\n",
    "  }\n",
    "  function csvField(s) {\n",
    "    return /[\",\\r\\n]|^[ \\t]|[ \\t]$/.test(s) \? '\"' + s.replace(/\"/g, '\"\"') + '\"' : s;\n",
    "  }\n",
    "  function save() {\n",
    "    var lines = [S.header];\n",
    "    R.forEach(function (r) {\n",
    "      var v = state.labels.hasOwnProperty(r.id) \? state.labels[r.id] : '';\n",
    "      lines.push(r.row + csvField(v));\n",
    "    });\n",
    "    var blob = new Blob([lines.join('\\n') + '\\n'], { type: 'text/csv;charset=utf-8' });\n",
    "    var page = decodeURIComponent(window.location.pathname.split('/').pop() || 'review');\n",
    "    var a = el('a');\n",
    "    a.href = URL.createObjectURL(blob);\n",
    "    a.download = page.replace(/\\.html\?$/i, '') + '-labels.csv';\n",
    "    document.body.appendChild(a);\n",
    "    a.click();\n",
    "    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);\n",
    "    $('saved').hidden = false;\n",
    "    $('saved').textContent = 'saved ' + a.download;\n",
    "  }\n",
    "\n",
    "  $('ok').addEventListener('click', function () { this.blur(); label('ok'); });\n",
    "  $('unsure').addEventListener('click', function () { this.blur(); label('unsure'); });\n",
    "  $('undo').addEventListener('click', function () { this.blur(); undo(); });\n",
    "  $('save').addEventListener('click', function () { this.blur(); save(); });\n",
    "  $('prev').addEventListener('click', function () { this.blur(); step(-1); });\n",
    "  $('next').addEventListener('click', function () { this.blur(); step(1); });\n",
    "  $('todo').addEventListener('change', function () {\n",
    "    state.todo = this.checked;\n",
    "    if (state.todo && !isTodo(state.cur)) state.cur = nextTodo();\n",
    "    store();\n",
    "    render();\n",
    "  });\n",
    "  document.addEventListener('keydown', function (ev) {\n",
    "    var k = ev.key, handled = true;\n",
    "    if (ev.altKey || ev.target === $('todo')) return;\n",
    "    if (ev.ctrlKey || ev.metaKey) {\n",
    "      if (k === 'z' || k === 'Z') { ev.preventDefault(); undo(); }\n",
    "      return;\n",
    "    }\n",
    "    if (/^[0-9]$/.test(k) && +k < K) label(k);\n",
    "    else if (k === 'Enter' || k === '=') label('ok');\n",
    "    else if (k === '\?') label('unsure');\n",
    "    else if (k === 'Backspace') undo();\n",
    "    else if (k === 'ArrowRight') step(1);\n",
    "    else if (k === 'ArrowLeft') step(-1);\n",
    "    else if (k.length === 1 && byLetter.hasOwnProperty(k.toLowerCase())) label(String(byLetter[k.toLowerCase()]));\n",
    "    else handled = false;\n",
    "    if (handled) ev.preventDefault();\n",
    "  });\n",
    "\n",
    "  /* ---- drawing the state ---- */\n",
    "  function render() {\n",
    "    var n = done();\n",
    "    $('count').textContent = n + ' of ' + N + ' done';\n",
    "    $('bar').style.width = (N \? 100 * n / N : 100) + '%';\n",
    "    $('undo').disabled = !state.undo.length;\n",
    "    $('todo').checked = state.todo;\n",
    "    $('warn').hidden = storageOk;\n",
    "    $('warn').textContent = 'This browser does not keep your labels (no localStorage): save the CSV before you close the page.';\n",
    "    $('done').hidden = !N || n < N;\n",
    "    $('done').textContent = 'All ' + N + ' records are done. Save CSV, then run merge --reviews SAVED.csv PREDICTIONS.';\n",
    "    var shown = 0;\n",
    "    items.forEach(function (b, i) {\n",
    "      var v = state.labels[R[i].id];\n",
    "      b.hidden = !visible(i);\n",
    "      shown += !b.hidden;\n",
    "      b.classList.toggle('current', i === state.cur);\n",
    "      b.classList.toggle('done', v !== undefined && v !== 'unsure');\n",
    "      b.classList.toggle('unsure', v === 'unsure');\n",
    "      b.dataset.state = v === undefined \? '' : v;\n",
    "      b.lastChild.textContent = v === undefined \? 'id ' + R[i].id : v === 'ok' \? '\\u2713 ok' : v === 'unsure' \? '\?' : S.classes[+v];\n",
    "      b.title = 'id ' + R[i].id + (v === undefined \? ': to do' : ': ' + labelName(v));\n",
    "    });\n",
    "    $('listtitle').textContent = state.todo \? 'Still to do (' + (N - n) + ')' : 'All records (' + N + ')';\n",
    "    $('empty').hidden = !state.todo || n < N;\n",
    "    if (!N) {\n",
    "      $('card').hidden = true;\n",
    "      return;\n",
    "    }\n",
    "    var r = R[state.cur], v = state.labels[r.id];\n",
    "    $('big').src = r.img;\n",
    "    $('big').alt = 'record id ' + r.id;\n",
    "    $('big').dataset.id = String(r.id);\n",
    "    $('where').textContent = 'record ' + (state.cur + 1) + ' of ' + N + ' \\u00b7 id ' + r.id;\n",
    "    var g = $('guesses');\n",
    "    g.textContent = '';\n",
    "    r.guess.forEach(function (pair, j) {\n",
    "      var row = el('div', 'guess' + (j \? ' second' : ''));\n",
    "      row.appendChild(el('span', 'name', (j \? 'or ' : '') + S.classes[pair[0]] + ' (' + pair[0] + ')'));\n",
    "      row.appendChild(el('span', 'pct', (100 * pair[1]).toFixed(1) + ' %'));\n",
    "      var track = el('span', 'track'), fill = el('span', 'fill');\n",
    "      fill.style.width = (100 * pair[1]) + '%';\n",
    "      track.appendChild(fill);\n",
    "      row.appendChild(track);\n",
    "      g.appendChild(row);\n",
    "    });\n",
    "    if (K > 2) {\n",
    "      var others = el('div', 'guess second');\n",
    "      others.appendChild(el('span', 'name', 'the other ' + (K - 2) + (K > 3 \? ' classes' : ' class')));\n",
    "      others.appendChild(el('span', 'pct', (100 * Math.max(0, 1 - r.guess[0][1] - r.guess[1][1])).toFixed(1) + ' %'));\n",
    "      g.appendChild(others);\n",
    "    }\n",
    "    $('given').hidden = r.label === undefined;\n",
    "    if (r.label !== undefined) {\n",
    "      $('given').textContent = 'Given label: ';\n",
    "      $('given').appendChild(el('b', '', S.classes[r.label] + ' (' + r.label + ')'));\n",
    "    }\n",
    "    var cur = $('current');\n",
    "    cur.className = v === undefined \? '' : v === 'unsure' \? 'unsure' : 'labelled';\n",
    "    cur.textContent = v === undefined \? 'Not labelled yet' : 'Your answer: ';\n",
    "    if (v !== undefined) cur.appendChild(el('b', '', labelName(v)));\n",
    "    classButtons.forEach(function (b, c) {\n",
    "      b.classList.toggle('chosen', v === String(c));\n",
    "      b.classList.toggle('guessed', r.guess[0][0] === c);\n",
    "    });\n",
    "    $('ok').classList.toggle('chosen', v === 'ok');\n",
    "    $('unsure').classList.toggle('chosen', v === 'unsure');\n",
    "    $('prev').disabled = state.cur === 0;\n",
    "    $('next').disabled = state.cur === N - 1;\n",
    "    var it = items[state.cur];\n",
    "    if (it.scrollIntoView) it.scrollIntoView({ block: 'nearest' });\n",
    "  }\n",
    "\n",
    "  /* the same sheet open in another tab: follow its changes */\n",
    "  window.addEventListener('storage', function (ev) {\n",
    "    if (ev.key === S.key) { load(); render(); }\n",
    "  });\n",
    "  load();\n",
    "  if (state.todo && N && !isTodo(state.cur)) state.cur = nextTodo();\n",
    "  render();\n",
    "  document.documentElement.dataset.ready = '1';\n",
    "})();\n",
    NULL,
};

/* ---- writing -------------------------------------------------------------- */

static void put_lines(FILE *f, const char *const *lines)
{
    for (; *lines; lines++)
        fputs(*lines, f);
}

void rp_put_json_string(FILE *f, const char *s, size_t len)
{
    putc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
                fprintf(f, "\\u%04x", c);
            else
                putc(c, f);
        }
    }
    putc('"', f);
}

void rp_put_png_uri(FILE *f, const unsigned char *png, size_t len)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputs("data:image/png;base64,", f);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)png[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)png[i + 1] << 8;
        if (i + 2 < len)
            v |= png[i + 2];
        putc(b64[v >> 18 & 63], f);
        putc(b64[v >> 12 & 63], f);
        putc(i + 1 < len ? b64[v >> 6 & 63] : '=', f);
        putc(i + 2 < len ? b64[v & 63] : '=', f);
    }
}

/* The end of the CSV row that starts at p: its newline outside quotes (or the
 * end of the text). */
static const char *row_end(const char *p)
{
    int quoted = 0;
    for (; *p && (quoted || *p != '\n'); p++)
        if (*p == '"')
            quoted = !quoted;
    return p;
}

/* FNV-1a, 64 bits: the sheet's localStorage key from its content, so the
 * same sheet written again finds its work and another sheet does not. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

int rp_write(FILE *f, const rp_sheet *s, err *e)
{
    /* the rows first: nothing is written for a CSV that does not match the records */
    const char *p = s->csv, *header = p, *header_end = row_end(p);
    if (header_end - header < 15 || memcmp(header_end - 15, ",reviewer_label", 15) != 0)
        return err_set(e, "review page: the CSV header does not end in reviewer_label");
    p = *header_end ? header_end + 1 : header_end;
    for (size_t i = 0; i < s->n; i++) {
        const char *end = row_end(p);
        if (end == p || end[-1] != ',')
            return err_set(e, "review page: row %zu of the CSV does not end in an empty reviewer_label", i + 1);
        p = *end ? end + 1 : end;
        const rp_record *r = &s->rec[i];
        for (int j = 0; j < 2; j++)
            if (r->guess[j] < 0 || r->guess[j] >= s->k)
                return err_set(e, "review page: id %u: class %d out of range", r->id, r->guess[j]);
        if (r->label >= s->k)
            return err_set(e, "review page: id %u: label %d out of range", r->id, r->label);
    }
    if (*p)
        return err_set(e, "review page: the CSV has more rows than the %zu records", s->n);
    uint64_t key = fnv1a(0xcbf29ce484222325u, s->csv, strlen(s->csv));
    for (int c = 0; c < s->k; c++)
        key = fnv1a(key, s->names[c], strlen(s->names[c]) + 1);

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>Review</title>\n<style>\n",
          f);
    put_lines(f, page_css);
    fputs("</style>\n</head>\n<body>\n", f);
    put_lines(f, page_body);
    fprintf(f, "<script type=\"application/json\" id=\"sheet\">\n{\"key\": \"fm-review-%016llx\",\n\"source\": ",
            (unsigned long long)key);
    rp_put_json_string(f, s->source, strlen(s->source));
    fputs(",\n\"rule\": ", f);
    rp_put_json_string(f, s->rule, strlen(s->rule));
    fputs(",\n\"classes\": [", f);
    for (int c = 0; c < s->k; c++) {
        fputs(c ? ", " : "", f);
        rp_put_json_string(f, s->names[c], strlen(s->names[c]));
    }
    fputs("],\n\"header\": ", f);
    rp_put_json_string(f, header, (size_t)(header_end - header));
    fputs(",\n\"records\": [", f);
    p = *header_end ? header_end + 1 : header_end;
    for (size_t i = 0; i < s->n; i++) {
        const rp_record *r = &s->rec[i];
        const char *end = row_end(p);
        fprintf(f, "%s\n{\"id\": %u, \"row\": ", i ? "," : "", r->id);
        rp_put_json_string(f, p, (size_t)(end - p));
        fprintf(f, ", \"guess\": [[%d, %.6f], [%d, %.6f]], ", r->guess[0], r->prob[0], r->guess[1], r->prob[1]);
        if (r->label >= 0)
            fprintf(f, "\"label\": %d, ", r->label);
        fputs("\"img\": \"", f);
        rp_put_png_uri(f, r->png, r->png_len);
        fputs("\"}", f);
        p = *end ? end + 1 : end;
    }
    fputs("\n]}\n</script>\n<script>\n", f);
    put_lines(f, page_js);
    fputs("</script>\n</body>\n</html>\n", f);
    return 0;
}
