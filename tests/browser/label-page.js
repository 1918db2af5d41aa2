#!/usr/bin/env node
// Drives flag's labelling page in Debian's chromium (headless, through
// puppeteer-core, which never downloads a browser) for tests/label-page.bats.
//
// Usage: node label-page.js DOWNLOAD_DIR STEP...
//   open:PAGE        load PAGE (a file path) from its file:// URL
//   click:SELECTOR   click an element; a bare class number N clicks that class's button
//   key:KEY          press a key (puppeteer's names: Enter, Backspace, ArrowLeft, ...)
//   todo             toggle the "only records still to do" filter
//   reload           reload the page (the work must come back from localStorage)
//   save             click Save CSV and wait for the download in DOWNLOAD_DIR
//   shot:PNG         write a screenshot of the page
//   classes          also print the class buttons' texts, joined by |
// After each step it prints one line: the step, the progress text, the current
// record's id, and every record's state in sheet order (blank = to do), with the
// visible list items; the bats test checks these lines. Any page error fails.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function fail(msg) {
  console.error('label-page.js: ' + msg);
  process.exit(1);
}

async function snapshot(page) {
  return page.evaluate(() => {
    const items = Array.from(document.querySelectorAll('#list .item'));
    const big = document.getElementById('big');
    const given = document.getElementById('given');
    return {
      count: document.getElementById('count').textContent,
      cur: big.dataset.id,
      states: items.map((b) => b.dataset.state).join(','),
      shown: items.filter((b) => !b.hidden).length,
      given: given.hidden ? 'hidden' : given.textContent,
      classes: Array.from(document.querySelectorAll('#classes button')).map((b) => b.textContent).join('|'),
    };
  });
}

async function waitForDownload(dir, before) {
  for (let i = 0; i < 100; i++) {
    const done = fs.readdirSync(dir).filter((f) => !before.has(f) && !f.endsWith('.crdownload'));
    if (done.length) return done[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  fail('no download appeared in ' + dir);
}

async function main() {
  const [dir, ...steps] = process.argv.slice(2);
  if (!dir || !steps.length) fail('usage: label-page.js DOWNLOAD_DIR STEP...');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'label-page-profile-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const watchdog = setTimeout(() => { browser.close(); fail('timed out'); }, 60000);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    page.on('pageerror', (e) => fail('page error: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') fail('console error: ' + m.text()); });
    const cdp = await browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: path.resolve(dir) });
    const ready = () => page.waitForSelector('html[data-ready="1"]', { timeout: 10000 });
    for (const step of steps) {
      const colon = step.indexOf(':');
      const verb = colon < 0 ? step : step.slice(0, colon), arg = colon < 0 ? '' : step.slice(colon + 1);
      let extra = '';
      if (verb === 'open') {
        await page.goto('file://' + path.resolve(arg));
        await ready();
      } else if (verb === 'click') {
        await page.click(/^[0-9]+$/.test(arg) ? '#classes button[data-label="' + arg + '"]' : arg);
      } else if (verb === 'key') {
        await page.keyboard.press(arg);
      } else if (verb === 'todo') {
        await page.click('#todo');
      } else if (verb === 'reload') {
        await page.reload();
        await ready();
      } else if (verb === 'save') {
        const before = new Set(fs.readdirSync(dir));
        await page.click('#save');
        extra = ' saved ' + await waitForDownload(dir, before);
      } else if (verb === 'classes') {
        extra = ' classes ' + (await snapshot(page)).classes;
      } else if (verb === 'shot') {
        await page.mouse.move(0, 0); // no hover highlight in the picture
        await page.screenshot({ path: arg, fullPage: true });
      } else {
        fail('unknown step ' + step);
      }
      const s = await snapshot(page);
      console.log(`${step}: ${s.count} | cur ${s.cur} | ${s.states} | shown ${s.shown} | given ${s.given}${extra}`);
    }
  } finally {
    clearTimeout(watchdog);
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => fail(e.message));
