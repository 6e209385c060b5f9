import "server-only";

import { headers } from "next/headers";

/**
 * Requests from this server to the Django API. The browser never talks to the API itself: pages
 * and server actions call it here, at API_BASE_URL, read when the request is served (not at
 * build time), so one image runs against any API.
 */

const TIMEOUT_MS = 5000;

export class ApiUnreachableError extends Error {}

export function apiBaseUrl(): string {
  const base = process.env.API_BASE_URL;
  if (!base) {
    throw new ApiUnreachableError("API_BASE_URL is not set: point it at the API, e.g. http://127.0.0.1:8000");
  }
  return base.replace(/\/+$/, "");
}

/**
 * The headers a proxy owes the API: the browser's address (the API throttles sign-ins per client)
 * and the scheme it used (production settings redirect plain HTTP to HTTPS).
 */
async function forwardedHeaders(): Promise<Record<string, string>> {
  const incoming = await headers();
  const forwarded: Record<string, string> = {};
  for (const name of ["x-forwarded-for", "x-forwarded-proto", "x-request-id"]) {
    const value = incoming.get(name);
    if (value) forwarded[name] = value;
  }
  return forwarded;
}

/** A request to the API; network failures and timeouts become ApiUnreachableError. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const url = `${apiBaseUrl()}${path}`;
  try {
    return await fetch(url, {
      ...init,
      headers: { accept: "application/json", ...(await forwardedHeaders()), ...init.headers },
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.name : "Error";
    throw new ApiUnreachableError(`The API did not answer (${reason}).`);
  }
}

/** The sentence a person should read for the API's error body {"error": {"detail": "..."}}. */
export function errorDetail(body: unknown, fallback: string): string {
  const detail = (body as { error?: { detail?: unknown } } | null)?.error?.detail;
  return typeof detail === "string" ? detail : fallback;
}
