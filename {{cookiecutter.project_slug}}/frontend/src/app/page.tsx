import { fetchReadiness } from "@/lib/readiness";

// Asked on every request: the page must show the API's state now, not at build time.
export const dynamic = "force-dynamic";

export default async function StatusPage() {
  const readiness = await fetchReadiness();

  if (!readiness.reachable) {
    return (
      <section aria-labelledby="status-heading">
        <h1 id="status-heading">Service status</h1>
        <p>
          Readiness: <strong data-testid="readiness" data-status="unreachable">unreachable</strong>
        </p>
        <p role="alert">{readiness.reason}</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="status-heading">
      <h1 id="status-heading">Service status</h1>
      <p>
        Readiness:{" "}
        <strong data-testid="readiness" data-status={readiness.status}>
          {readiness.status}
        </strong>
      </p>
      <table>
        <caption>Checks of GET /ready</caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Status</th>
            <th scope="col">Latency</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(readiness.checks).map(([name, check]) => (
            <tr key={name} data-testid={`check-${name}`}>
              <th scope="row">{name}</th>
              <td data-status={check.status}>
                {check.status}
                {check.error ? ` (${check.error})` : ""}
              </td>
              <td>{check.latency_ms.toFixed(1)} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
