// Debian's Chromium, headless, with the flags this machine needs: no
// sandbox as root, and no background networking on a closed network.
'use strict';

const { chromium } = require('playwright-core');

exports.launch = function () {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
};
