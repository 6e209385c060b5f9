import "server-only";

import { cookies, headers } from "next/headers";

/**
 * The API's JWTs live in httpOnly cookies of this site, so no script in the browser can read
 * them; only this server sends them on to the API.
 */

export const ACCESS_COOKIE = "access_token";
export const REFRESH_COOKIE = "refresh_token";

/** Secure cookies whenever the browser used HTTPS (directly or through a TLS proxy). */
async function isHttps(): Promise<boolean> {
  const incoming = await headers();
  return incoming.get("x-forwarded-proto") === "https";
}

export async function storeTokens(access: string, refresh: string): Promise<void> {
  const jar = await cookies();
  const options = { httpOnly: true, sameSite: "lax" as const, path: "/", secure: await isHttps() };
  jar.set(ACCESS_COOKIE, access, options);
  jar.set(REFRESH_COOKIE, refresh, options);
}

export async function readTokens(): Promise<{ access?: string; refresh?: string }> {
  const jar = await cookies();
  return { access: jar.get(ACCESS_COOKIE)?.value, refresh: jar.get(REFRESH_COOKIE)?.value };
}

export async function clearTokens(): Promise<void> {
  const jar = await cookies();
  jar.delete(ACCESS_COOKIE);
  jar.delete(REFRESH_COOKIE);
}
