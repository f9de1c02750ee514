/**
 * Puppeteer must not download its own Chrome (no network for it here, and CI uses the system
 * browser). Tests launch Debian's Chromium, or whatever PUPPETEER_EXECUTABLE_PATH names.
 * @type {import("puppeteer").Configuration}
 */
module.exports = {
  skipDownload: true,
  executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium',
};
