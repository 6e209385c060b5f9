import { expect, test } from "@playwright/test";

const email = process.env.E2E_EMAIL ?? "";
const password = process.env.E2E_PASSWORD ?? "";

test.beforeAll(() => {
  if (!email || !password) throw new Error("set E2E_EMAIL and E2E_PASSWORD to an active user of the API");
});

test("a wrong password is refused with the API's reason", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(`${password}-wrong`);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByRole("main").getByRole("alert")).toContainText("No active account found");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("the right password signs in, shows the account and signs out", async ({ page, context }) => {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("user-email")).toHaveText(email);
  const cookies = await context.cookies();
  expect(cookies.find((cookie) => cookie.name === "access_token")?.httpOnly).toBe(true);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain("access_token");
});
