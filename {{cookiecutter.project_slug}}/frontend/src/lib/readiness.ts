import "server-only";

import { ApiUnreachableError, apiFetch } from "./api";

export type Check = { status: "ok" | "error"; latency_ms: number; error?: string };

/** "degraded": only the read replica fails, and the API still serves (200). */
export type ReadinessStatus = "ok" | "degraded" | "unavailable";

/** What GET /ready said (200 or 503), or why it said nothing. */
export type Readiness =
  | { reachable: true; status: ReadinessStatus; checks: Record<string, Check> }
  | { reachable: false; reason: string };

export async function fetchReadiness(): Promise<Readiness> {
  try {
    const response = await apiFetch("/ready");
    const body = (await response.json()) as { status: ReadinessStatus; checks: Record<string, Check> };
    return { reachable: true, status: body.status, checks: body.checks };
  } catch (error) {
    if (error instanceof ApiUnreachableError) return { reachable: false, reason: error.message };
    if (error instanceof SyntaxError) return { reachable: false, reason: "The API answered something other than JSON." };
    throw error;
  }
}
