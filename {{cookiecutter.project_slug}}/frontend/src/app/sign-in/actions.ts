"use server";

import { redirect } from "next/navigation";

import { ApiUnreachableError, apiFetch, errorDetail } from "@/lib/api";
import { clearTokens, readTokens, storeTokens } from "@/lib/session";

export type SignInState = { error: string | null; email: string };

/** POST /api/v1/auth/token/; on success the tokens go into httpOnly cookies. */
export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "");
  const password = String(form.get("password") ?? "");
  let response: Response;
  try {
    response = await apiFetch("/api/v1/auth/token/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
  } catch (error) {
    if (error instanceof ApiUnreachableError) return { error: error.message, email };
    throw error;
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    return { error: errorDetail(body, "Signing in failed; check your e-mail and password."), email };
  }
  const { access, refresh } = body as { access: string; refresh: string };
  await storeTokens(access, refresh);
  redirect("/account");
}

/** POST /api/v1/auth/token/revoke/ (the refresh token can no longer be used), then forget both. */
export async function signOut(): Promise<void> {
  const { refresh } = await readTokens();
  if (refresh) {
    await apiFetch("/api/v1/auth/token/revoke/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh }),
    }).catch(() => undefined); // signing out locally must work even when the API is down
  }
  await clearTokens();
  redirect("/sign-in");
}
