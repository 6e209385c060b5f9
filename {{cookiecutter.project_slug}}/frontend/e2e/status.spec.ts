import { expect, test } from "@playwright/test";

const apiBaseUrl = process.env.API_BASE_URL ?? "http://127.0.0.1:8000";

test("the status page shows what GET /ready answers", async ({ page, request }) => {
  const ready = await request.get(`${apiBaseUrl}/ready`);
  const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };

  await page.goto("/");

  await expect(page.getByRole("heading", { name: "Service status" })).toBeVisible();
  await expect(page.getByTestId("readiness")).toHaveText(body.status);
  for (const [name, check] of Object.entries(body.checks)) {
    await expect(page.getByTestId(`check-${name}`).getByRole("cell").first()).toContainText(check.status);
  }
});
