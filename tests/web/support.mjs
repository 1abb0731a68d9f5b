// What the browser tests share: starting a `junction` process and waiting for its address,
// Debian's Chromium under puppeteer-core, and screenshots into $JUNCTION_WEB_SCREENSHOTS.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const here = path.dirname(new URL(import.meta.url).pathname);
export const shots = process.env.JUNCTION_WEB_SCREENSHOTS ?? path.join(here, 'screenshots');

// Starts `$JUNCTION_BIN args...`, adds it to `procs` (the caller kills them in after()), and
// resolves with the base URL it prints once it listens; rejects with its log if it exits first.
export function startJunction(args, procs) {
  const proc = spawn(process.env.JUNCTION_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${log}`)));
  });
}

export function launchBrowser() {
  fs.mkdirSync(shots, { recursive: true });
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // Chromium's sandbox cannot start as root (CI containers).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

export const shot = (page, name) =>
  page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
