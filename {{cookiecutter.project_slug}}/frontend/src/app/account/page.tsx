import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { apiFetch } from "@/lib/api";
import { readTokens } from "@/lib/session";
import { signOut } from "../sign-in/actions";

export const metadata: Metadata = { title: "Account" };
export const dynamic = "force-dynamic";

type User = { id: number; email: string; first_name: string; last_name: string };

/** GET /api/v1/users/me/ with the access token; without a valid one, off to sign in. */
export default async function AccountPage() {
  const { access } = await readTokens();
  if (!access) redirect("/sign-in");
  const response = await apiFetch("/api/v1/users/me/", { headers: { authorization: `Bearer ${access}` } });
  if (response.status === 401) redirect("/sign-in");
  if (!response.ok) throw new Error(`GET /api/v1/users/me/ answered ${response.status}`);
  const user = (await response.json()) as User;

  return (
    <section aria-labelledby="account-heading">
      <h1 id="account-heading">Account</h1>
      <p>
        Signed in as <strong data-testid="user-email">{user.email}</strong>
      </p>
      <form action={signOut}>
        <button type="submit">Sign out</button>
      </form>
    </section>
  );
}
