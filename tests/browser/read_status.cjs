// Reads the frontend's status page in headless Chromium and prints what it shows, as JSON:
//   {"readiness": "ok" | "unavailable" | "unreachable", "checks": {"<name>": "ok" | "error"}}
//
//   node read_status.cjs <frontend-url> <chromium> <empty-profile-dir>
//
// Run from the bake's frontend/ directory: playwright-core comes from its node_modules (a
// dependency of @playwright/test). The Chromium is the system's (Debian's `chromium`), because
// Playwright's own download is not available everywhere.
"use strict";

const { chromium } = require(require.resolve("playwright-core", { paths: [process.cwd()] }));

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function main() {
  const [url, executablePath, userDataDir] = process.argv.slice(2);
  if (!url || !executablePath || !userDataDir) {
    throw new Error("usage: node read_status.cjs <frontend-url> <chromium> <empty-profile-dir>");
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: "load", timeout: 30_000 });
    const readiness = page.getByTestId("readiness");
    await readiness.waitFor({ timeout: 10_000 });
    const checks = {};
    for (const row of await page.locator('tr[data-testid^="check-"]').all()) {
      const name = (await row.getByRole("rowheader").textContent()).trim();
      checks[name] = await row.locator("td[data-status]").getAttribute("data-status");
    }
    const shown = {
      httpStatus: response ? response.status() : null,
      readiness: (await readiness.textContent()).trim(),
      checks,
    };
    process.stdout.write(`${JSON.stringify(shown)}\n`);
  } finally {
    await context.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
