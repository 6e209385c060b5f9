import { defineConfig, devices } from "@playwright/test";

/**
 * Browser tests of the built frontend in front of the real API. Both are started here (the API
 * with `make serve` in the project, on a migrated database) unless they already answer:
 *
 *   FRONTEND_URL   where the frontend answers (default http://127.0.0.1:3000)
 *   API_BASE_URL   the API (default http://127.0.0.1:8000); the status test asks it too
 *   E2E_EMAIL, E2E_PASSWORD   an active user of that API, for the sign-in tests
 *   CHROMIUM_PATH  a Chromium to use instead of Playwright's own (`npx playwright install chromium`)
 */
const frontendUrl = new URL(process.env.FRONTEND_URL ?? "http://127.0.0.1:3000");
const apiBaseUrl = process.env.API_BASE_URL ?? "http://127.0.0.1:8000";
const executablePath = process.env.CHROMIUM_PATH || undefined;

export default defineConfig({
  testDir: "./e2e",
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  workers: 1,
  // A CI runner is a busy machine: a cold API's first sign-in (password hashing) can take seconds.
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : "list",
  use: {
    baseURL: frontendUrl.origin,
    trace: "retain-on-failure",
  },
  webServer: [
    {
      command: "make -C .. serve",
      url: `${apiBaseUrl}/healthz`,
      reuseExistingServer: true,
      timeout: 120_000,
    },
    {
      command: "npm start",
      url: frontendUrl.origin,
      env: { API_BASE_URL: apiBaseUrl, HOSTNAME: frontendUrl.hostname, PORT: frontendUrl.port || "3000" },
      reuseExistingServer: true,
      timeout: 60_000,
    },
  ],
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath,
          // A system Chromium in a container or CI runner: no sandbox, GPU or background traffic.
          args: executablePath
            ? [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
              ]
            : [],
        },
      },
    },
  ],
});
